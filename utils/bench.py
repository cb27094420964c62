"""A fair speed benchmark: one training step of the same model in Keras, TensorFlow and PyTorch.

    python -m utils.bench --quick                  # every configuration on every workload, ~1 min on 2 cores
    python -m utils.bench --configs torch-eager,tf-function --workloads mlp --batches 32,256 --json out.json

    from utils import bench
    record = bench.run(**bench.grid(quick=True))   # JSON-able: machine, versions, threads, load, every sample
    print(bench.table(record))

What is timed: one training step (forward, cross-entropy loss, backward, plain SGD update) on a fixed
synthetic batch, with the same model, initial weights (utils.models), data and learning rate in every
configuration. Method:
- one process per back end (NumPy, TensorFlow, JAX, PyTorch): Keras picks its back end at import;
- warm-up: the first step (tracing and compiling happen there) is timed on its own and reported as
  `first_step_s`; `compile_s` = first step minus a steady step; more warm-up steps follow, untimed;
- samples: a block of steps (sized to last about `block_seconds`) ends with a device synchronisation
  (reading the loss back), and its time / steps is one sample; one untimed calibration round first;
- configurations are interleaved: every round runs every cell once, in a new shuffled order, so a
  burst of load from other programs hits all of them alike; the load average is recorded per round;
- the median of `repeats` samples with its spread (quartiles, min, max) is reported;
- the ceiling: each library's float32 matrix-multiply rate (2 n^3 FLOPs) is measured in the same
  rounds; the best median is the machine's peak, and each cell's GFLOP/s (`step_flops` / median) is
  shown as a share of it;
- threads: all cores by default (threads=None), or pinned with threads=N; what each library uses is
  recorded. Runs on a GPU when the frameworks see one (same code; the loss read-back synchronises).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from utils import models
from utils.backends import clean_stderr
from utils.checks import check_int
from utils.setup import available_memory, child_environment, installed_version, thread_environment, total_memory

SCHEMA = "kvtvp-bench/1"
WORKLOADS = models.ARCHITECTURES
LEARNING_RATE = 0.01
MATMUL_SIZE = 2048
ALL_AT_ONCE_MEMORY = 3.5e9  # bytes free needed to keep every back end's process alive together (~2.5 GB)


@dataclass(frozen=True)
class Config:
    """One way of running a training step: which API, which process (back end), which compiler."""

    name: str
    label: str
    framework: str  # "keras", "tensorflow" or "torch": the API the step is written in
    process: str  # the back end, one process each: "tensorflow", "jax" or "torch"
    compiler: str  # what turns the Python step into fast code, in words


CONFIGS = {c.name: c for c in (
    Config("keras-tf", "Keras/TF", "keras", "tensorflow", "tf.function graph, no XLA (jit_compile=False)"),
    Config("keras-tf-xla", "Keras/TF+XLA", "keras", "tensorflow", "XLA (jit_compile=True, the default on TF)"),
    Config("keras-jax", "Keras/JAX", "keras", "jax", "jax.jit, XLA (jit_compile=True, the default on JAX)"),
    Config("keras-torch", "Keras/torch", "keras", "torch", "none: eager (jit_compile=False, the default on torch)"),
    Config("tf-eager", "TF eager", "tensorflow", "tensorflow", "none: eager, op by op"),
    Config("tf-function", "tf.function", "tensorflow", "tensorflow", "tf.function graph"),
    Config("tf-xla", "tf.function+XLA", "tensorflow", "tensorflow", "tf.function(jit_compile=True): XLA"),
    Config("torch-eager", "PyTorch eager", "torch", "torch", "none: eager, op by op"),
    Config("torch-compile", "torch.compile", "torch", "torch", "torch.compile(model): TorchInductor, C++ via gcc"),
)}
PROCESSES = ("numpy", "tensorflow", "jax", "torch")  # numpy measures NumPy's matmul peak only
KERAS_JIT_COMPILE = {"keras-tf": False, "keras-tf-xla": True, "keras-jax": True, "keras-torch": False}
# Keras configuration -> the native configuration on the same back end with the same kind of compiler.
NATIVE_TWIN = {"keras-tf": "tf-function", "keras-tf-xla": "tf-xla", "keras-torch": "torch-eager"}


def grid(quick: bool = True) -> dict:
    """The arguments of `run` for the quick grid (~1 min on 2 cores) or the fuller one (several minutes)."""
    if quick:
        return {"configs": tuple(CONFIGS), "workloads": WORKLOADS,
                "batches": {"mlp": (16, 64, 256), "cnn": (64,), "attention": (64,)},
                "repeats": 5, "warmup": 2, "block_seconds": 0.03}
    return {"configs": tuple(CONFIGS), "workloads": WORKLOADS,
            "batches": {w: (16, 64, 256, 1024) for w in WORKLOADS},
            "repeats": 9, "warmup": 3, "block_seconds": 0.1}


# ---------------------------------------------------------------- FLOPs, statistics, input checks

SCALED = {"mlp": ("inputs", "hidden"), "cnn": ("filters1", "filters2"), "attention": ("features",)}


def scaled_sizes(factor: int, workloads=WORKLOADS) -> dict:
    """Model sizes with the widths (mlp inputs and hidden units, cnn filters, attention features) times `factor`."""
    check_int("factor", factor, minimum=1)
    return {w: {k: models.DEFAULT_SIZES[w][k] * factor for k in SCALED[w]}
            for w in _names(workloads, WORKLOADS, "workload")}



def step_flops(workload: str, batch: int, sizes: dict | None = None) -> int:
    """Floating-point operations of one training step, counting matrix products and convolutions only.

    A product of (m x k) by (k x n) is 2 m k n FLOPs forward. Backward needs it twice more (gradient of
    the weights, gradient of the input), except where the input is the data, which needs no gradient:
    so a layer on the data costs 2x its forward FLOPs per step, a deeper layer 3x. Both operands of the
    attention products q k^T and a v get gradients (3x). Bias adds, activations, softmax, pooling, the
    loss and the SGD update are ignored: they grow with the activations and weights, not with their
    products, and are a few percent here at most.
    """
    _check_batch(batch)
    s = models.resolve_sizes(workload, sizes)
    b = batch
    if workload == "mlp":
        return 2 * 2 * b * s["inputs"] * s["hidden"] + 3 * 2 * b * s["hidden"] * s["classes"]
    if workload == "cnn":
        h, w, c, f1, f2 = s["height"], s["width"], s["channels"], s["filters1"], s["filters2"]
        conv1 = 2 * b * h * w * 9 * c * f1  # "same" padding keeps h x w
        conv2 = 2 * b * (h // 2) * (w // 2) * 9 * f1 * f2  # after the 2x2 max pool
        return 2 * conv1 + 3 * conv2 + 3 * 2 * b * f2 * s["classes"]
    t, d = s["tokens"], s["features"]
    projections = 3 * 2 * b * t * d * d  # query, key, value on the data
    products = 2 * (2 * b * t * t * d)  # q k^T and attention @ v
    return 2 * projections + 3 * products + 3 * 2 * b * d * s["classes"]


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


def check_grid(configs, workloads, batches, sizes=None, repeats=5, warmup=2, block_seconds=0.03,
               threads=None, seed=0) -> tuple[tuple, tuple, dict, dict]:
    """Validate `run`'s arguments; return (configs, workloads, batches per workload, sizes per workload)."""
    configs = _names(configs, CONFIGS, "configuration")
    workloads = _names(workloads, WORKLOADS, "workload")
    if isinstance(batches, dict):
        unknown = set(batches) - set(workloads)
        if unknown:
            raise ValueError(f"batches names workloads {sorted(unknown)} that are not in this run {workloads}")
        missing = set(workloads) - set(batches)
        if missing:
            raise ValueError(f"batches has no batch sizes for {sorted(missing)}")
        per = {w: _batch_list(batches[w]) for w in workloads}
    else:
        per = {w: _batch_list(batches) for w in workloads}
    sizes = sizes or {}
    if not isinstance(sizes, dict) or not set(sizes) <= set(WORKLOADS):
        raise ValueError(f"sizes must be a dict keyed by workload ({WORKLOADS}), e.g. {{'mlp': {{'hidden': 256}}}}")
    unused = set(sizes) - set(workloads)
    if unused:
        raise ValueError(f"sizes names workloads {sorted(unused)} that are not in this run {workloads}")
    sizes = {w: models.resolve_sizes(w, sizes.get(w)) for w in workloads}
    for label, value, low in (("repeats", repeats, 1), ("warmup", warmup, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{label} must be an int >= {low}, got {value!r}")
    if isinstance(block_seconds, bool) or not isinstance(block_seconds, int | float) or not block_seconds > 0:
        raise ValueError(f"block_seconds must be a positive number of seconds, got {block_seconds!r}")
    thread_environment(threads)  # validates threads
    check_int("seed", seed, minimum=0)
    return configs, workloads, per, sizes


def _names(value, known, what: str) -> tuple:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{what}s must be a non-empty list drawn from {list(known)}, got {value!r}")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}: choose from {list(known)}")
    return tuple(dict.fromkeys(value))


def _batch_list(value) -> tuple:
    values = (value,) if isinstance(value, int | np.integer) else value
    if not isinstance(values, list | tuple) or not values:
        raise ValueError(f"batch sizes must be a positive int or a non-empty list of them, got {value!r}")
    for b in values:
        _check_batch(b)
    return tuple(int(b) for b in dict.fromkeys(values))


def _check_batch(batch) -> None:
    check_int("batch", batch, minimum=1)


# ---------------------------------------------------------------- the timed steps (run inside a worker)


def synthetic_batch(workload: str, batch: int, sizes: dict | None = None, seed: int = 0):
    """A fixed batch: standard-normal inputs (channels-last) and uniform integer labels, as NumPy."""
    _check_batch(batch)
    s = models.resolve_sizes(workload, sizes)
    rng = np.random.default_rng([seed, batch])
    x = rng.standard_normal((batch, *models.input_shape(workload, s))).astype(np.float32)
    return x, rng.integers(0, s["classes"], batch).astype(np.int64)


@dataclass
class Step:
    """One training step ready to run: `run()` does a step and returns its loss; `sync(loss)` waits for
    the device and returns the loss as a float."""

    run: object
    sync: object
    device: str


def keras_step(model, x, y, learning_rate: float, jit_compile: bool) -> Step:
    """Keras (any back end): compile with SGD and cross-entropy; a step is `train_on_batch`."""
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit_compile)
    x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)  # on the back end's device
    return Step(run=lambda: model.train_on_batch(x, y), sync=float, device=_keras_device(x))


def tf_step(model, x, y, learning_rate: float, mode: str) -> Step:
    """TensorFlow's own API: GradientTape and assign_sub; mode 'eager', 'function' or 'xla'."""
    import tensorflow as tf

    variables = model.trainable_variables
    x, y = tf.constant(x), tf.constant(y)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x)))
        for variable, gradient in zip(variables, tape.gradient(loss, variables), strict=True):
            variable.assign_sub(learning_rate * gradient)
        return loss

    if mode == "function":
        train_step = tf.function(train_step)
    elif mode == "xla":
        train_step = tf.function(train_step, jit_compile=True)
    return Step(run=lambda: train_step(x, y), sync=lambda loss: float(loss.numpy()), device=x.device)


def torch_step(model, x, y, learning_rate: float, compile: bool) -> Step:
    """PyTorch: an explicit step with torch.optim.SGD; `compile` wraps the model in torch.compile."""
    import torch

    from utils.setup import torch_device

    device = torch_device()
    model = model.to(device)
    if compile:  # every model here shares one `forward`; past dynamo's limit (8) it would fall back to eager
        torch._dynamo.config.recompile_limit = max(64, torch._dynamo.config.recompile_limit)
    network = torch.compile(model) if compile else model
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    def train_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(network(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return Step(run=train_step, sync=lambda loss: float(loss.item()), device=str(x.device))  # item() waits


def make_step(config: str, workload: str, batch: int, sizes: dict | None = None, seed: int = 0,
              learning_rate: float = LEARNING_RATE) -> Step:
    """The training step of `config` on `workload`, built in this process from `models.init_weights`."""
    (config,), (workload,), _, _ = check_grid(config, workload, batch, {workload: sizes} if sizes else None)
    c = CONFIGS[config]
    if c.framework == "keras":
        import keras

        if keras.backend.backend() != c.process:
            raise ValueError(f"{config} needs Keras on {c.process}, but this process's Keras runs on "
                             f"{keras.backend.backend()}: run it through `bench.run` (one process per back end)")
    weights = models.init_weights(workload, sizes, seed)
    x, y = synthetic_batch(workload, batch, sizes, seed)
    model = models.build_model(c.framework, workload, weights, sizes)
    if c.framework == "keras":
        return keras_step(model, x, y, learning_rate, jit_compile=KERAS_JIT_COMPILE[c.name])
    if c.framework == "tensorflow":
        return tf_step(model, x, y, learning_rate, mode=c.name.removeprefix("tf-"))
    x = models.to_torch_input(workload, x)  # images: PyTorch wants channels first
    return torch_step(model, x, y, learning_rate, compile=c.name == "torch-compile")


def time_block(step: Step, steps: int, max_seconds: float | None = None) -> tuple[float, float, int]:
    """Run `steps` steps (fewer if `max_seconds` have passed), wait for the device.

    Returns (seconds, last loss, steps run). The early stop bounds a block when a step turns out much
    slower than estimated (on a GPU the clock sees only the launches, so it rarely stops early there).
    """
    check_int("steps", steps, minimum=1)
    start = time.perf_counter()
    done = 0
    while done < steps:
        loss = step.run()
        done += 1
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    loss = step.sync(loss)
    return time.perf_counter() - start, loss, done


def warm_up(step: Step, warmup: int, block_seconds: float, max_steps: int = 10_000) -> dict:
    """Time the first step on its own, run `warmup` more, and choose the steps per timed block."""
    first, first_loss, _ = time_block(step, 1)
    times = [time_block(step, 1)[0] for _ in range(warmup)]
    estimate = float(np.median(times)) if times else first
    return {"first_step_s": first, "first_loss": first_loss, "warmup_s": times, "estimate_s": estimate,
            "steps": steps_for(estimate, block_seconds, max_steps)}


def steps_for(step_seconds: float, block_seconds: float, max_steps: int = 10_000) -> int:
    """How many steps fill a block of about `block_seconds`: at least 1, at most `max_steps`."""
    return int(min(max_steps, max(1, round(block_seconds / max(step_seconds, 1e-9)))))


class Matmul:
    """A float32 (n x n) @ (n x n) product in one library, shaped like a Step (2 n^3 FLOPs a run)."""

    def __init__(self, library: str, n: int = MATMUL_SIZE, seed: int = 0):
        rng = np.random.default_rng(seed)
        a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
        if library == "numpy":
            self.run, self.sync, self.device = (lambda: a @ b), (lambda c: float(c[0, 0])), "cpu"
        elif library == "tensorflow":
            import tensorflow as tf

            ta, tb = tf.constant(a), tf.constant(b)
            self.run, self.sync, self.device = (lambda: tf.matmul(ta, tb)), (lambda c: float(c[0, 0])), ta.device
        elif library == "jax":
            import jax

            ja, jb = jax.device_put(a), jax.device_put(b)
            product = jax.jit(lambda p, q: p @ q)
            self.run, self.sync = (lambda: product(ja, jb)), (lambda c: float(c.block_until_ready()[0, 0]))
            self.device = str(next(iter(ja.devices())))
        elif library == "torch":
            import torch

            from utils.setup import torch_device

            ta, tb = torch.from_numpy(a).to(torch_device()), torch.from_numpy(b).to(torch_device())
            self.run, self.sync, self.device = (lambda: ta @ tb), (lambda c: float(c[0, 0].item())), str(ta.device)
        else:
            raise ValueError(f"unknown library {library!r}: choose one of {PROCESSES}")


def _keras_device(tensor) -> str:
    device = getattr(tensor, "device", None)
    if device is None and hasattr(tensor, "devices"):  # a JAX array
        device = next(iter(tensor.devices()))
    return str(device)


# ---------------------------------------------------------------- the worker process


def _worker(process: str) -> None:
    """`python -m utils.bench --worker PROCESS`: import one back end, then serve JSON commands on stdin."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)  # the result channel; whatever libraries print goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    info = _import_process(process)
    reply.write(json.dumps({"ready": True, **info}) + "\n")
    cells = {}
    for line in sys.stdin:
        job = json.loads(line)
        try:
            if job["op"] == "prepare":
                if job["config"] == "matmul":
                    cells[job["key"]] = Matmul(process, job["matmul_size"], job["seed"])
                else:
                    cells[job["key"]] = make_step(job["config"], job["workload"], job["batch"], job["sizes"],
                                                  job["seed"], job["learning_rate"])
                out = {**warm_up(cells[job["key"]], job["warmup"], job["block_seconds"]),
                       "device": cells[job["key"]].device}
            else:  # "time"
                seconds, loss, done = time_block(cells[job["key"]], job["steps"], job["max_seconds"])
                out = {"seconds": seconds, "loss": loss, "steps": done}
            out["ok"] = True
        except Exception as err:  # reported to the parent as this cell's failure; the worker goes on
            traceback.print_exc()
            out = {"ok": False, "error": _reason(err)}
        reply.write(json.dumps({"key": job["key"], **out}) + "\n")


def _import_process(process: str) -> dict:
    """Import the libraries of one worker process; return their versions, thread counts and device."""
    from utils.setup import import_tensorflow, pin_threads

    threads = int(os.environ["BENCH_THREADS"]) if os.environ.get("BENCH_THREADS") else None
    info = {"versions": {"numpy": np.__version__}, "threads": {}, "device": "cpu"}
    if process == "numpy":
        from threadpoolctl import threadpool_info

        info["threads"] = {p["internal_api"]: p["num_threads"] for p in threadpool_info()}
    if process == "tensorflow":
        tf = import_tensorflow(threads)
        gpus = tf.config.list_logical_devices("GPU")
        info["device"] = gpus[0].name if gpus else "cpu"
        info["threads"] = {"intra_op (0 = one per core)": tf.config.threading.get_intra_op_parallelism_threads(),
                           "inter_op (0 = one per core)": tf.config.threading.get_inter_op_parallelism_threads()}
        info["versions"]["tensorflow"] = tf.__version__
    if process == "jax":
        import jax

        info["device"] = str(jax.devices()[0])
        info["threads"] = {"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") or "(none: one thread per core)"}
        info["versions"]["jax"] = jax.__version__
    if process == "torch":
        import torch

        from utils.setup import torch_device

        pin_threads(threads)
        info["device"] = torch_device()
        info["threads"] = {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
        info["versions"]["torch"] = torch.__version__
    if process != "numpy":
        import keras

        info["versions"]["keras"] = keras.__version__
    return info


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:300] if text else ''}".strip()


# ---------------------------------------------------------------- the parent: start workers, interleave


class _WorkerProcess:
    """A worker subprocess with a reader thread; replies arrive on a shared queue as (process, dict)."""

    def __init__(self, process: str, threads: int | None, replies: queue.Queue):
        self.process, self.replies, self.failed, self.info = process, replies, None, {}
        self.log = tempfile.TemporaryFile(mode="w+")
        env = {**child_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "3",  # no thread caps left by setup()
               "KERAS_BACKEND": process if process in ("tensorflow", "jax", "torch") else "tensorflow",
               "BENCH_THREADS": str(threads or ""), "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
               "TF_FORCE_GPU_ALLOW_GROWTH": "true", "PYTHONUNBUFFERED": "1"}
        try:
            self.popen = subprocess.Popen([sys.executable, "-m", "utils.bench", "--worker", process], env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        except BaseException:
            self.log.close()
            raise
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            try:
                self.replies.put((self.process, json.loads(line)))
            except json.JSONDecodeError:
                continue
        self.replies.put((self.process, None))  # end of output: the worker has exited

    def send(self, job: dict) -> None:
        try:
            self.popen.stdin.write(json.dumps(job) + "\n")
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reader thread reports the exit

    def why_dead(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):  # its output ended: its exit status follows
            self.popen.wait(timeout=5)
        self.log.seek(0)
        tail = clean_stderr(self.log.read()).splitlines()[-6:]
        return (f"the {self.process} worker process exited (status {self.popen.returncode}): "
                + " | ".join(line.strip() for line in tail)[-500:])

    def stop(self, deadline: float) -> None:
        """Wait for the worker to exit (its stdin is closed) until `deadline`, then kill it."""
        try:
            self.popen.wait(timeout=max(0.0, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self.log.close()


def run(configs=tuple(CONFIGS), workloads=WORKLOADS, batches=64, sizes=None, repeats: int = 5, warmup: int = 2,
        block_seconds: float = 0.03, threads: int | None = None, seed: int = 0, matmul_size: int = MATMUL_SIZE,
        all_at_once: bool | None = None, timeout: float = 600, progress=print) -> dict:
    """Run the benchmark; return the record (see `validate`). `progress(text)` reports each stage.

    all_at_once: keep every back end's process alive together, so rounds interleave all configurations
    (needs about 2.5 GB of memory); False runs the back ends one after another (each ~1 GB at most),
    interleaving only within a back end; None chooses by the memory available now.
    A configuration that fails (or a worker that cannot start) is recorded with status "failed" and its
    reason; everything else still runs. `timeout` bounds each prepare (compile) and each timed block.
    """
    configs, workloads, batches, sizes = check_grid(configs, workloads, batches, sizes, repeats, warmup,
                                                    block_seconds, threads, seed)
    check_int("matmul_size", matmul_size, minimum=1)
    if all_at_once not in (None, True, False):
        raise ValueError(f"all_at_once must be True, False or None (choose by free memory), got {all_at_once!r}")
    if not callable(progress):
        raise TypeError("progress must be a function taking one string, such as print")
    start = time.perf_counter()

    def say(text):
        progress(f"[{time.perf_counter() - start:5.1f} s] {text}")

    cells = [_cell(c, w, b, sizes[w]) for w in workloads for b in batches[w] for c in configs]
    processes = [p for p in PROCESSES if p == "numpy" or any(CONFIGS[c].process == p for c in configs)]
    cells += [{"key": f"matmul|{p}", "config": "matmul", "process": p, "status": "ok", "reason": None}
              for p in processes]
    if all_at_once is None:
        all_at_once = available_memory() > ALL_AT_ONCE_MEMORY  # a container's limit counts (Binder: 2 GB)
    settings = {"configs": list(configs), "workloads": list(workloads), "batches": {w: list(b) for w, b in
                batches.items()}, "sizes": sizes, "repeats": repeats, "warmup": warmup,
                "block_seconds": block_seconds, "threads_requested": threads, "seed": seed,
                "learning_rate": LEARNING_RATE, "matmul_size": matmul_size, "all_at_once": all_at_once}
    record = {"schema": SCHEMA, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "settings": settings, "machine": machine(), "load": {"before": list(psutil.getloadavg()), "rounds": []}}
    say(f"{len(cells) - len(processes)} cells, {repeats} rounds; one process per back end ({', '.join(processes)}), "
        + ("all at once, configurations interleaved" if all_at_once else "one back end at a time (low memory)")
        + f"; load {psutil.getloadavg()[0]:.2f}")
    workers = {}
    for group in [processes] if all_at_once else [[p] for p in processes]:
        replies: queue.Queue = queue.Queue()  # one per group: a stopped group's last words stay in its own
        started = {}
        try:  # started one by one inside the try: if one cannot start, those already running are stopped
            for p in group:
                started[p] = _WorkerProcess(p, threads, replies)
            workers.update(started)
            mine = [c for c in cells if c["process"] in group]
            _prepare(started, mine, replies, settings, timeout, say)
            _rounds(started, mine, replies, repeats, seed, timeout, record, say)
        finally:  # nothing to save in the workers: close their input, give them 3 s to exit, then kill them
            for worker in started.values():
                with contextlib.suppress(OSError):
                    worker.popen.stdin.close()
            deadline = time.perf_counter() + 3
            for worker in started.values():
                worker.stop(deadline)
    record["load"]["after"] = list(psutil.getloadavg())
    record["workers"] = {p: {"status": "failed" if w.failed else "ok", "reason": w.failed,
                             **{k: v for k, v in w.info.items() if k != "ready"}} for p, w in workers.items()}
    record["versions"] = {"python": platform.python_version(), **{k: v for w in record["workers"].values()
                                                                 for k, v in w.get("versions", {}).items()}}
    _finish(record, cells)
    record["wall_s"] = time.perf_counter() - start
    say(f"done in {record['wall_s']:.0f} s; load {psutil.getloadavg()[0]:.2f}")
    validate(record)
    return record


def _cell(config: str, workload: str, batch: int, sizes: dict) -> dict:
    c = CONFIGS[config]
    return {"key": f"{config}|{workload}|{batch}", "config": config, "label": c.label, "framework": c.framework,
            "process": c.process, "compiler": c.compiler, "workload": workload, "batch": batch, "sizes": sizes,
            "flops_per_step": step_flops(workload, batch, sizes), "status": "ok", "reason": None}


def _next(replies: queue.Queue, timeout: float):
    """The next reply (process, dict or None) or (None, None) when nothing comes within `timeout`."""
    try:
        return replies.get(timeout=max(0.0, timeout))
    except queue.Empty:
        return None, None


def _wait(cell: dict, workers: dict, cells: list, replies: queue.Queue, timeout: float) -> dict | None:
    """The reply to `cell`'s timed block, or None when its worker died or was silent for `timeout` s (then
    that worker is stopped and its cells failed).

    Every worker of a group answers on one queue. Replies from a worker already failed (the last words of
    one that was stopped) and replies to another cell are skipped; the end of another worker's output
    fails that worker, not this cell's.
    """
    deadline = time.perf_counter() + timeout
    while True:
        process, reply = _next(replies, deadline - time.perf_counter())
        if process is None:
            workers[cell["process"]].popen.kill()
            _fail_process(cell["process"], f"no answer within {timeout:.0f} s from a timed block: stopped",
                          workers, cells)
            return None
        if workers[process].failed:
            continue
        if reply is None:  # that worker's output ended: it has exited
            _fail_process(process, workers[process].why_dead(), workers, cells)
            if process == cell["process"]:
                return None
        elif process == cell["process"] and reply.get("key") == cell["key"]:
            return reply


def _fail_process(process: str, reason: str, workers: dict, cells: list) -> None:
    workers[process].failed = workers[process].failed or reason
    for cell in cells:
        if cell["process"] == process and cell["status"] == "ok" and "steps" not in cell:
            cell.update(status="failed", reason=reason)
        elif cell["process"] == process and cell["status"] == "ok":
            cell.update(status="failed", reason=f"{reason} (after {len(cell.get('samples_s', []))} samples)")


def _prepare(workers, cells, replies, settings, timeout, say) -> None:
    """Workers start and compile in parallel (each works through its own cells in order)."""
    pending = {p: [c for c in cells if c["process"] == p] for p in workers}
    waiting = {p: None for p in workers}  # the key each worker is busy with (None: starting up)
    by_key = {c["key"]: c for c in cells}
    deadline = {p: time.perf_counter() + timeout for p in workers}
    while waiting:
        process, reply = _next(replies, 1.0)
        now = time.perf_counter()
        for p in [p for p in waiting if now > deadline[p]]:
            _fail_process(p, f"no answer within {timeout:.0f} s while preparing "
                          f"{waiting[p] or 'the worker'}: stopped", workers, cells)
            workers[p].popen.kill()
            del waiting[p]
        if process is None or process not in waiting:
            continue
        worker = workers[process]
        if reply is None:
            _fail_process(process, worker.why_dead(), workers, cells)
            del waiting[process]
            continue
        if reply.get("ready"):
            worker.info = reply
            say(f"{process} process ready ({_versions_text(reply['versions'])}; device {reply['device']})")
        else:
            cell = by_key[reply["key"]]
            if reply["ok"]:
                cell.update(steps=reply["steps"], first_step_s=reply["first_step_s"], warmup_s=reply["warmup_s"],
                            estimate_s=reply["estimate_s"], first_loss=reply["first_loss"], device=reply["device"],
                            samples_s=[], block_steps=[], round_load=[])
                say(f"prepared {cell['key'].replace('|', ' ')}: first step {reply['first_step_s']:.2f} s")
            else:
                cell.update(status="failed", reason=reply["error"])
                say(f"FAILED {cell['key'].replace('|', ' ')}: {reply['error']}")
        if pending[process]:
            cell = pending[process].pop(0)
            job = {k: cell.get(k) for k in ("key", "config", "workload", "batch", "sizes")}
            worker.send({"op": "prepare", **job, "seed": settings["seed"], "warmup": settings["warmup"],
                         "block_seconds": settings["block_seconds"], "learning_rate": settings["learning_rate"],
                         "matmul_size": settings["matmul_size"]})
            waiting[process], deadline[process] = cell["key"], time.perf_counter() + timeout
        else:
            del waiting[process]


def _rounds(workers, cells, replies, repeats, seed, timeout, record, say) -> None:
    """One calibration round (blocks re-sized away from the parallel compiles), then `repeats` timed rounds."""
    rng = np.random.default_rng(seed)
    for r in range(repeats + 1):
        live = [c for c in cells if c["status"] == "ok" and "steps" in c]
        load = psutil.getloadavg()[0]
        for cell in (live[i] for i in rng.permutation(len(live))):
            if cell["status"] != "ok":  # its worker died earlier in this round
                continue
            workers[cell["process"]].send({"op": "time", "key": cell["key"], "steps": cell["steps"],
                                           "max_seconds": 5 * record["settings"]["block_seconds"]})
            reply = _wait(cell, workers, cells, replies, timeout)
            if reply is None:  # its worker died or hung, and is failed with its cells
                continue
            if not reply["ok"] or not math.isfinite(reply["loss"]):
                cell.update(status="failed", reason=reply.get("error") or f"the loss became {reply['loss']}")
            elif r == 0:  # the faster of two estimates: one stalled sample must not shrink every block
                estimate = min(reply["seconds"] / reply["steps"], cell["estimate_s"])
                cell["steps"] = steps_for(estimate, record["settings"]["block_seconds"])
            else:
                cell["samples_s"].append(reply["seconds"] / reply["steps"])
                cell["block_steps"].append(reply["steps"])
                cell["round_load"].append(load)
        if r:
            record["load"]["rounds"].append({"processes": list(workers), "load": list(psutil.getloadavg())})
        what = "calibration round" if r == 0 else f"round {r}/{repeats}"
        say(f"{what} of {', '.join(workers)} done, load {psutil.getloadavg()[0]:.2f}")


def _finish(record: dict, cells: list) -> None:
    """Statistics per cell, the matmul peak, and each cell's share of it."""
    peak = {}
    for cell in cells:
        if cell["status"] == "ok" and cell.get("samples_s"):
            cell.update({f"{k}_s" if k not in ("n", "spread") else k: v
                         for k, v in summarize(cell["samples_s"]).items()})
            cell["compile_s"] = max(0.0, cell["first_step_s"] - cell["median_s"])
        elif cell["status"] == "ok":
            cell.update(status="failed", reason=cell.get("reason") or "no timed sample")
        if cell["config"] == "matmul" and cell["status"] == "ok":
            flops = 2 * record["settings"]["matmul_size"] ** 3
            peak[cell["process"]] = {"median_gflops": flops / cell["median_s"] / 1e9,
                                     "best_gflops": flops / cell["min_s"] / 1e9, "device": cell["device"],
                                     "samples_gflops": [flops / s / 1e9 for s in cell["samples_s"]]}
    best = max(peak, key=lambda p: peak[p]["median_gflops"]) if peak else None
    record["peak"] = {"gflops": peak[best]["median_gflops"] if best else None, "library": best, "by_library": peak}
    record["results"] = []
    for cell in cells:
        if cell["config"] == "matmul":
            continue
        if cell["status"] == "ok":
            cell["gflops"] = cell["flops_per_step"] / cell["median_s"] / 1e9
            cell["examples_per_s"] = cell["batch"] / cell["median_s"]
            cell["share_of_peak"] = cell["gflops"] / record["peak"]["gflops"] if best else None
        record["results"].append(cell)


def _versions_text(versions: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in versions.items() if k != "numpy" or len(versions) == 1)


def machine() -> dict:
    """Processor, cores usable by this process, memory (a container's limit when lower), OS and Python."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "usable_cpus": usable, "memory_gb": round(
            total_memory() / 1e9, 1), "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "numpy": installed_version("numpy")}


# ---------------------------------------------------------------- the record: check, save, show, compare

_RESULT_KEYS = {"config", "label", "framework", "workload", "batch", "sizes", "status", "reason", "flops_per_step"}
_OK_KEYS = {"samples_s", "block_steps", "round_load", "median_s", "q1_s", "q3_s", "min_s", "max_s", "spread", "n",
            "steps", "first_step_s", "compile_s", "first_loss", "gflops", "examples_per_s", "share_of_peak", "device"}


def validate(record) -> dict:
    """Check that `record` is a complete benchmark record; raise ValueError naming the first problem."""
    def need(ok, where, what):
        if not ok:
            raise ValueError(f"invalid benchmark record: {where}: {what}")

    need(isinstance(record, dict), "record", f"expected a dict, got {type(record).__name__}")
    for key in ("schema", "created", "settings", "machine", "versions", "workers", "load", "peak", "results",
                "wall_s"):
        need(key in record, key, "missing")
    need(record["schema"] == SCHEMA, "schema", f"expected {SCHEMA!r}, got {record['schema']!r}")
    need(isinstance(record["results"], list) and record["results"], "results", "expected a non-empty list")
    for key in ("cpu", "cpu_count", "usable_cpus"):
        need(key in record["machine"], f"machine.{key}", "missing")
    need("threads_requested" in record["settings"], "settings.threads_requested", "missing")
    need(len(record["load"].get("before", [])) == 3, "load.before", "expected the three load averages")
    peak = record["peak"]["gflops"]
    need(peak is None or (_finite(peak) and peak > 0), "peak.gflops", f"expected a positive number, got {peak!r}")
    for i, r in enumerate(record["results"]):
        where = f"results[{i}] ({r.get('config')} {r.get('workload')} batch {r.get('batch')})"
        need(not _RESULT_KEYS - set(r), where, f"missing {sorted(_RESULT_KEYS - set(r))}")
        need(r["config"] in CONFIGS and r["workload"] in WORKLOADS, where, "unknown configuration or workload")
        need(r["status"] in ("ok", "failed"), where, f"status must be 'ok' or 'failed', got {r['status']!r}")
        if r["status"] == "failed":
            need(isinstance(r["reason"], str) and r["reason"].strip(), where, "a failed cell must give its reason")
            continue
        need(not _OK_KEYS - set(r), where, f"missing {sorted(_OK_KEYS - set(r))}")
        need(len(r["samples_s"]) == r["n"] == len(r["round_load"]) == len(r["block_steps"]) >= 1, where,
             "n must count the samples")
        for key in ("median_s", "q1_s", "q3_s", "min_s", "max_s", "first_step_s", "gflops", "examples_per_s"):
            need(_finite(r[key]) and r[key] > 0, where, f"{key} must be positive and finite, got {r[key]!r}")
        stats = summarize(r["samples_s"])
        need(all(math.isclose(stats[k], r[f"{k}_s"], rel_tol=1e-9) for k in ("median", "q1", "q3", "min", "max")),
             where, "the statistics do not match the samples")
        need(r["min_s"] <= r["q1_s"] <= r["median_s"] <= r["q3_s"] <= r["max_s"], where, "quantiles out of order")
        need(math.isclose(r["gflops"], r["flops_per_step"] / r["median_s"] / 1e9, rel_tol=1e-9), where,
             "gflops must be flops_per_step / median_s")
        need(r["share_of_peak"] is None or _finite(r["share_of_peak"]), where, "share_of_peak must be finite")
    return record


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def save(record: dict, path) -> Path:
    """Write the record as JSON (after validating it); return the path."""
    validate(record)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load(path) -> dict:
    """Read and validate a record written by `save`."""
    return validate(json.loads(Path(path).read_text()))


def result(record: dict, config: str, workload: str, batch: int) -> dict:
    """The result of one cell (ValueError when the run did not include it)."""
    for r in record["results"]:
        if (r["config"], r["workload"], r["batch"]) == (config, workload, batch):
            return r
    raise ValueError(f"the record has no result for {config} on {workload} at batch {batch}")


def compare(record: dict, a: str, b: str, workload: str, batch: int, margin: float = 0.1) -> dict:
    """How `a`'s median step time compares with `b`'s: ratio a/b and a word that respects the noise.

    'slower' / 'faster' need the ratio beyond 1 +- margin AND the interquartile ranges not to overlap;
    otherwise the difference is within this run's noise: 'about as fast'. None fields when a cell failed.
    """
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a non-negative number (0.1 = 10%), got {margin!r}")
    ra, rb = result(record, a, workload, batch), result(record, b, workload, batch)
    if "ok" != ra["status"] or "ok" != rb["status"]:
        return {"ratio": None, "word": "not measured", "a": a, "b": b}
    ratio = ra["median_s"] / rb["median_s"]
    if ratio > 1 + margin and ra["q1_s"] > rb["q3_s"]:
        word = "slower"
    elif ratio < 1 / (1 + margin) and ra["q3_s"] < rb["q1_s"]:
        word = "faster"
    else:
        word = "about as fast"
    return {"ratio": ratio, "word": word, "a": a, "b": b}


def table(record: dict) -> str:
    """The results as a text table, with the machine, threads, peak and load above it."""
    m, s, peak = record["machine"], record["settings"], record["peak"]
    threads = s["threads_requested"] or f"all cores ({m['usable_cpus']})"
    lines = [f"{m['cpu']}, {m['usable_cpus']} of {m['cpu_count']} CPUs usable; threads: {threads}; "
             f"{s['repeats']} rounds, " + ("all back ends interleaved" if s.get("all_at_once", True) else
                                           "interleaved within each back end (one back end at a time)"),
             f"load average before {record['load']['before'][0]:.2f}, after {record['load']['after'][0]:.2f}; "
             "matmul peak " + (f"{peak['gflops']:.1f} GFLOP/s ({peak['library']}; "
                               + ", ".join(f"{k} {v['median_gflops']:.0f}" for k, v in peak["by_library"].items())
                               + ")" if peak["gflops"] else "not measured"),
             "",
             f"{'workload':<10}{'batch':>6}  {'configuration':<16}{'ms/step':>9}  {'IQR (ms)':<17}"
             f"{'examples/s':>11}{'GFLOP/s':>9}{'% peak':>8}{'first step s':>13}"]
    for r in record["results"]:
        head = f"{r['workload']:<10}{r['batch']:>6}  {r['label']:<16}"
        if r["status"] != "ok":
            lines.append(f"{head}FAILED: {r['reason']}")
            continue
        share = f"{100 * r['share_of_peak']:.1f}" if r["share_of_peak"] is not None else "-"
        lines.append(f"{head}{1e3 * r['median_s']:>9.3f}  {1e3 * r['q1_s']:>7.3f}-{1e3 * r['q3_s']:<8.3f} "
                     f"{r['examples_per_s']:>11.0f}{r['gflops']:>9.2f}{share:>8}{r['first_step_s']:>13.2f}")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small grid (about a minute on 2 cores)")
    parser.add_argument("--configs", help=f"comma-separated, from: {','.join(CONFIGS)}")
    parser.add_argument("--workloads", help=f"comma-separated, from: {','.join(WORKLOADS)}")
    parser.add_argument("--batches", help="comma-separated batch sizes, used for every workload, e.g. 32,256")
    parser.add_argument("--size", action="append", default=[], metavar="WORKLOAD.NAME=INT",
                        help="a model size, e.g. mlp.hidden=512 (repeatable)")
    parser.add_argument("--scale", type=int, default=1, help="multiply the models' widths (see scaled_sizes)")
    parser.add_argument("--repeats", type=int, help="timed rounds")
    parser.add_argument("--threads", type=int, help="pin every library to this many threads (default: all cores)")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="run the back ends one after another (less memory; default when under 3.5 GB is free)")
    parser.add_argument("--json", type=Path, help="where to write the record (default results/bench-TIME.json)")
    parser.add_argument("--worker", choices=PROCESSES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return 0
    kwargs = grid(quick=args.quick)
    try:
        if args.configs:
            kwargs["configs"] = tuple(args.configs.split(","))
        if args.workloads:
            kwargs["workloads"] = tuple(args.workloads.split(","))
            if isinstance(kwargs["batches"], dict):
                kwargs["batches"] = {w: kwargs["batches"].get(w, (64,)) for w in kwargs["workloads"]}
        if args.batches:
            try:
                kwargs["batches"] = tuple(int(b) for b in args.batches.split(","))
            except ValueError:
                raise ValueError(f"--batches must be comma-separated positive ints such as 32,256, "
                                 f"got {args.batches!r}") from None
        if args.repeats is not None:
            kwargs["repeats"] = args.repeats
        kwargs["sizes"] = scaled_sizes(args.scale, kwargs["workloads"])
        for workload, given in _parse_sizes(args.size).items():
            kwargs["sizes"].setdefault(workload, {}).update(given)
        kwargs["threads"] = args.threads
        kwargs["all_at_once"] = False if args.one_at_a_time else None
        check_grid(**{k: v for k, v in kwargs.items() if k != "all_at_once"})
    except ValueError as err:
        parser.error(str(err))
    record = run(**kwargs, progress=lambda text: print(text, file=sys.stderr, flush=True))
    record["settings"]["command"] = "python -m utils.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    path = save(record, args.json or Path("results") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json")
    print(table(record))
    print(f"\nrecord written to {path}")
    return 0 if any(r["status"] == "ok" for r in record["results"]) else 1


def _parse_sizes(items) -> dict:
    sizes: dict = {}
    for item in items:
        try:
            name, value = item.split("=")
            workload, key = name.split(".")
            sizes.setdefault(workload, {})[key] = int(value)
        except ValueError as err:
            raise ValueError(f"--size must look like WORKLOAD.NAME=INT (e.g. mlp.hidden=512), got {item!r}") from err
    return sizes


if __name__ == "__main__":
    sys.exit(main())

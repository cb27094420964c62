"""The benchmark's configurations, workloads and grid, and the FLOPs of one training step.

Used by notebook 02 (speed) through `utils.bench`. Nothing here imports a deep-learning framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from utils import models
from utils.checks import check_dict, check_int, check_names, check_seconds
from utils.processes import check_threads

WORKLOADS = models.ARCHITECTURES
LEARNING_RATE = 0.01
MATMUL_SIZE = 2048
PROCESSES = ("numpy", "tensorflow", "jax", "torch")  # one worker each; numpy: the matmul peak and the probe


@dataclass(frozen=True)
class Config:
    """One way of running a training step: the API (`framework`), its process (back end) and its mode.

    `mode` is the `utils.training` mode of the step; Keras configurations are timed through `fit`.
    `runs_as` is how the step actually runs ("eager", "graph", "XLA" or "TorchInductor": Keras's "graph"
    mode is eager on the PyTorch back end); `steps_per_execution` > 1 is Keras's own fix for per-step
    overhead (`compile(steps_per_execution=N)`), not a default: such configurations are judged against
    the same Keras configuration without it, never counted in the 2019 claims.
    """

    name: str
    label: str
    framework: str  # "keras", "tensorflow" or "torch": the API the step is written in
    process: str  # the back end, one process each: "tensorflow", "jax" or "torch"
    mode: str  # utils.training mode: "eager", "graph" or "compiled"
    compiler: str  # what turns the Python step into fast code, in words
    runs_as: str  # "eager", "graph", "XLA" or "TorchInductor"
    steps_per_execution: int = 1


STEPS_PER_EXECUTION = 16  # Keras's fix, as the notebook shows it: 16 steps per call into the back end
CONFIGS = {c.name: c for c in (
    Config("keras-tf", "Keras/TF", "keras", "tensorflow", "graph",
           "tf.function graph, no XLA (jit_compile=False; what 'auto' gives on a CPU)", "graph"),
    Config("keras-tf-xla", "Keras/TF+XLA", "keras", "tensorflow", "compiled",
           "XLA (jit_compile=True; what 'auto' gives on a GPU)", "XLA"),
    Config("keras-jax", "Keras/JAX", "keras", "jax", "compiled", "jax.jit, XLA (what 'auto' gives on JAX)", "XLA"),
    Config("keras-torch", "Keras/torch", "keras", "torch", "graph",
           "none: eager (jit_compile=False, what 'auto' gives on torch)", "eager"),
    Config("tf-eager", "TF eager", "tensorflow", "tensorflow", "eager", "none: eager, op by op", "eager"),
    Config("tf-function", "tf.function", "tensorflow", "tensorflow", "graph", "tf.function graph", "graph"),
    Config("tf-xla", "tf.function+XLA", "tensorflow", "tensorflow", "compiled", "tf.function(jit_compile=True)",
           "XLA"),
    Config("torch-eager", "PyTorch eager", "torch", "torch", "eager", "none: eager, op by op", "eager"),
    Config("torch-compile", "torch.compile", "torch", "torch", "compiled", "torch.compile: TorchInductor",
           "TorchInductor"),
    Config("keras-tf-spe", f"Keras/TF spe={STEPS_PER_EXECUTION}", "keras", "tensorflow", "graph",
           f"as Keras/TF, {STEPS_PER_EXECUTION} steps per tf.function call (steps_per_execution)", "graph",
           STEPS_PER_EXECUTION),
    Config("keras-jax-spe", f"Keras/JAX spe={STEPS_PER_EXECUTION}", "keras", "jax", "compiled",
           f"as Keras/JAX, {STEPS_PER_EXECUTION} steps per pass of fit's loop (steps_per_execution)", "XLA",
           STEPS_PER_EXECUTION),
)}
# The configurations a user gets without tuning (Keras's steps_per_execution=1): the grids and the claims use these.
DEFAULT_CONFIGS = tuple(name for name, c in CONFIGS.items() if c.steps_per_execution == 1)
# Keras with steps_per_execution -> the same Keras configuration without it (PyTorch's back end refuses it).
SPE_BASE = {name: name.removesuffix("-spe") for name, c in CONFIGS.items() if c.steps_per_execution > 1}
# Keras configuration -> the native configuration on the same back end with the same kind of compiler.
NATIVE_TWIN = {"keras-tf": "tf-function", "keras-tf-xla": "tf-xla", "keras-torch": "torch-eager"}
SCALED = {"mlp": ("inputs", "hidden"), "cnn": ("filters1", "filters2"), "attention": ("features",)}


def grid(quick: bool = True) -> dict:
    """The arguments of `run` for the quick grid (~1 min on 2 cores) or the fuller one (several minutes)."""
    if quick:
        return {"configs": DEFAULT_CONFIGS, "workloads": WORKLOADS,
                "batches": {"mlp": (16, 64, 256), "cnn": (64,), "attention": (64,)},
                "repeats": 7, "warmup": 2, "block_seconds": 0.1}
    return {"configs": DEFAULT_CONFIGS, "workloads": WORKLOADS, "batches": {w: (16, 64, 256, 1024) for w in WORKLOADS},
            "repeats": 9, "warmup": 3, "block_seconds": 0.1}


def scaled_sizes(factor: int, workloads=WORKLOADS) -> dict:
    """Model sizes with the widths (mlp inputs and hidden units, cnn filters, attention features) times `factor`."""
    check_int("factor", factor, minimum=1)
    return {w: {k: models.DEFAULT_SIZES[w][k] * factor for k in SCALED[w]}
            for w in check_names("workloads", workloads, WORKLOADS)}


def step_flops(workload: str, batch: int, sizes: dict | None = None) -> int:
    """Floating-point operations of one training step, counting matrix products and convolutions only.

    A product of (m x k) by (k x n) is 2 m k n FLOPs forward. Backward needs it twice more (gradient of
    the weights, gradient of the input), except where the input is the data, which needs no gradient:
    so a layer on the data costs 2x its forward FLOPs per step, a deeper layer 3x. Both operands of the
    attention products q k^T and a v get gradients (3x). Bias adds, activations, softmax, pooling, the
    loss and the SGD update are ignored: they are a few percent here at most.
    """
    check_int("batch", batch, minimum=1)
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


def check_grid(configs, workloads, batches, sizes=None, repeats=5, warmup=2, block_seconds=0.1,
               threads=None, seed=0) -> tuple[tuple, tuple, dict, dict]:
    """Validate `run`'s arguments; return (configs, workloads, batches per workload, sizes per workload).

    `configs` (like `batches`) may be a dict per workload (every workload of the run, none other): it is then
    returned as a dict of tuples, else as one tuple.

    Raises:
        TypeError: an argument of the wrong type; ValueError: a wrong value (both name the argument).
    """
    workloads = check_names("workloads", workloads, WORKLOADS)
    if isinstance(configs, dict):
        _same_workloads("configs", configs, workloads)
        configs = {w: check_names(f"configs[{w!r}]", configs[w], tuple(CONFIGS)) for w in workloads}
    else:
        configs = check_names("configs", configs, tuple(CONFIGS))
    if isinstance(batches, dict):
        _same_workloads("batches", batches, workloads)
        per = {w: batch_list(batches[w]) for w in workloads}
    else:
        per = {w: batch_list(batches) for w in workloads}
    sizes = check_dict("sizes", {} if sizes is None else sizes)
    unused = set(sizes) - set(workloads)
    if unused:
        raise ValueError(f"sizes names workloads {sorted(unused)} that are not in this run {workloads}")
    sizes = {w: models.resolve_sizes(w, sizes.get(w)) for w in workloads}
    check_int("repeats", repeats, minimum=1)
    check_int("warmup", warmup, minimum=0)
    check_seconds("block_seconds", block_seconds)
    check_threads(threads)
    check_int("seed", seed, minimum=0)
    return configs, workloads, per, sizes


def _same_workloads(name: str, given: dict, workloads: tuple) -> None:
    unknown, missing = set(given) - set(workloads), set(workloads) - set(given)
    if unknown:
        raise ValueError(f"{name} names workloads {sorted(unknown)} that are not in this run {workloads}")
    if missing:
        raise ValueError(f"{name} has no {'batch sizes' if name == 'batches' else name} for {sorted(missing)}")


def per_workload(configs, workloads) -> dict:
    """{workload: configuration names} from `check_grid`'s configs (a tuple for all, or a dict)."""
    return dict(configs) if isinstance(configs, dict) else {w: tuple(configs) for w in workloads}


def batch_list(value) -> tuple:
    """A tuple of distinct batch sizes from an int or a non-empty list of ints."""
    values = (value,) if isinstance(value, int | np.integer) and not isinstance(value, bool) else value
    if not isinstance(values, list | tuple):
        raise TypeError(f"batches must be an int or a list of ints, got {type(value).__name__}")
    if not values:
        raise ValueError("batches is empty: give at least one batch size")
    return tuple(dict.fromkeys(check_int("batches", int(b) if isinstance(b, np.integer) else b, minimum=1)
                               for b in values))


def synthetic_batch(workload: str, batch: int, sizes: dict | None = None, seed: int = 0):
    """A fixed batch: standard-normal inputs (channels-last) and uniform integer labels, as NumPy."""
    check_int("batch", batch, minimum=1)
    check_int("seed", seed, minimum=0)
    s = models.resolve_sizes(workload, sizes)
    rng = np.random.default_rng([seed, batch])
    x = rng.standard_normal((batch, *models.input_shape(workload, s))).astype(np.float32)
    return x, rng.integers(0, s["classes"], batch).astype(np.int64)

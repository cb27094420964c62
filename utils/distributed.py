"""Data-parallel training on each framework's own engine, checked against one process on the whole batch.

Used by notebook 05. One SGD step of the series' MLP (`utils.models`, one set of NumPy weights) on a
batch split between `replicas` replicas, on this machine's CPU cores:

- PyTorch: `torch.distributed` (gloo) + `DistributedDataParallel`, in a child process that imports
  PyTorch and never TensorFlow or JAX, so it may fork: `torch.multiprocessing.start_processes` forks its
  `replicas` processes (torch and torch._dynamo, which DDP imports, are imported once before: a replica
  costs tens of MB, not a fresh import), meeting at tcp://127.0.0.1:PORT. The replicas end with the step
  and the child with the run: nothing is left running in the caller;
- TensorFlow: `tf.distribute.MirroredStrategy` over `replicas` logical CPU devices, in a child process
  (logical devices must be declared before TensorFlow starts, so the caller's TensorFlow is untouched);
- Keras: `keras.distribution.DataParallel` on the JAX back end with `replicas` host devices
  (XLA_FLAGS=--xla_force_host_platform_device_count=N, set before JAX starts: a child process too).

    result = data_parallel("torch")      # {'max_difference': {'mean': 3e-08, 'sum': 0.004}, ...}

Each replica computes the gradient of the mean loss over its part of the batch; averaging those over the
replicas gives the gradient of the mean loss over the whole batch, so the weights after the step equal
one process's step on the whole batch (within float32 round-off, `TOLERANCE`). The reduction "sum" is
the classic bug, gradients summed instead of averaged (a step `replicas` times too large), and the check
must catch it.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from utils.checks import check_choice, check_int, check_names, check_number
from utils.processes import keep_out, usable_cpus

ENGINES = ("keras", "tensorflow", "torch")  # Keras on JAX's DataParallel, tf.distribute, torch DDP
ENGINE_NAMES = {"keras": "keras.distribution.DataParallel (JAX)",
                "tensorflow": "tf.distribute.MirroredStrategy", "torch": "torch DistributedDataParallel (gloo)"}
REDUCTIONS = ("mean", "sum")  # "mean" is right; "sum" is the bug the check must catch
TOLERANCE = 1e-6  # largest allowed |weight after the data-parallel step - weight after one process's step|


class DistributedError(RuntimeError):
    """A data-parallel run failed; the message carries what the replicas or the child process said."""


def max_replicas() -> int:
    """The most replicas this machine allows: one per usable core, and 2 even on one core (they take turns:
    slower, still correct, so the lesson runs on a 1-CPU Binder)."""
    return max(usable_cpus(), 2)


def equivalent(result: dict, reduction: str = "mean") -> bool:
    """True when `reduction`'s data-parallel step matched the whole-batch step within the tolerance."""
    check_choice("reduction", reduction, REDUCTIONS)
    return result["max_difference"][reduction] <= result["tolerance"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the replicas to meet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job(batch_size: int, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """The MLP's starting weights and one batch (features, labels), the same in every process."""
    check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed, minimum=0)
    from utils.models import init_weights

    rng = np.random.default_rng([seed, batch_size])
    x = rng.standard_normal((batch_size, 64)).astype(np.float32)
    return init_weights("mlp", seed=seed), x, rng.integers(0, 10, batch_size).astype(np.int64)


def max_difference(a: dict, b: dict) -> float:
    """The largest absolute difference between two dicts of weights with the same names."""
    return float(max(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k]))) for k in a))


def data_parallel(engine: str, replicas: int = 2, batch_size: int = 64, reductions=REDUCTIONS, steps: int = 0,
                  lr: float = 0.1, seed: int = 0, timeout: float = 120, repeats: int = 3) -> dict:
    """One data-parallel SGD step on `engine`, compared with one process's step on the whole batch.

    Args:
        engine: "keras", "tensorflow" or "torch".
        replicas: how many replicas share the batch; at most the usable CPU cores.
        batch_size: the global batch, split evenly between the replicas.
        reductions: "mean" (gradients averaged over the replicas: right) and/or "sum" (the bug).
        steps: also time this many training steps on 1 replica and on `replicas` (0: no timing), `repeats`
            times each (the repeats `utils.verdicts.compare_repeats` judges).
    Returns:
        {"engine", "replicas", "batch_size", "tolerance", "max_difference": {reduction: float},
         "examples_per_s": {"1": [one per repeat], str(replicas): [one per repeat]} (empty when steps == 0)}.
    Raises:
        TypeError/ValueError for bad arguments (before anything starts), DistributedError when a run fails.
        A torch replica still running after `timeout` seconds is stopped and the run made once more.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine == {engine!r}, must be one of {list(ENGINES)}")
    check_int("replicas", replicas, minimum=1)
    if replicas > max_replicas():
        raise ValueError(f"replicas == {replicas}, must be <= {max_replicas()}: one replica per CPU core this "
                         f"process may use ({usable_cpus()}); more would only take turns on the same cores")
    check_int("batch_size", batch_size, minimum=replicas)
    if batch_size % replicas:
        raise ValueError(f"batch_size == {batch_size} must be a multiple of replicas == {replicas}")
    reductions = check_names("reductions", reductions, REDUCTIONS)
    check_int("steps", steps, minimum=0)
    check_number("lr", lr, minimum=0, inclusive=False)
    check_int("seed", seed, minimum=0)
    check_number("timeout", timeout, minimum=0, inclusive=False)
    check_int("repeats", repeats, minimum=1)
    spec = {"engine": engine, "replicas": replicas, "batch_size": batch_size, "reductions": list(reductions),
            "steps": steps, "lr": lr, "seed": seed, "repeats": repeats}
    out = _run_child(spec, timeout)
    weights = {k: np.asarray(v, dtype=np.float32) for k, v in out.pop("reference").items()}
    after = out.pop("after")
    return {**spec, "name": ENGINE_NAMES[engine], "tolerance": TOLERANCE,
            "max_difference": {r: max_difference(weights, after[r]) for r in reductions}, **out}


def _timed(step, spec: dict, sync=lambda: None) -> list[float]:
    """Examples per second of `spec["steps"]` calls of `step()` after two warm-up calls, `spec["repeats"]` times."""
    step(), step()
    speeds = []
    for _ in range(spec.get("repeats", 1)):
        sync()
        start = time.perf_counter()
        for _ in range(spec["steps"]):
            step()
        sync()
        speeds.append(spec["steps"] * spec["batch_size"] / (time.perf_counter() - start))
    return speeds


def _lists(weights: dict) -> dict:
    return {k: np.asarray(v).tolist() for k, v in weights.items()}


# ---------------------------------------------------------------- PyTorch: DDP, replicas forked in the child
def _torch_step(model, x, y, lr: float, backward=None) -> None:
    import torch

    loss = torch.nn.functional.cross_entropy(model(x), y)  # the mean over this replica's examples
    loss.backward() if backward is None else backward(loss)
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None


def _run_torch(spec: dict, timeout: float) -> dict:
    """In the child: fork the replicas first (nothing has run in this process yet but imports), then take
    the reference step and the 1-replica timing here."""
    import torch
    import torch._dynamo  # noqa: F401 -- DDP imports it; imported before the fork, the replicas share it
    import torch.multiprocessing as mp

    from utils.models import get_weights, torch_model

    with tempfile.TemporaryDirectory(prefix="kvtvp-ddp-") as folder:
        args = (spec, free_port(), folder, timeout)
        try:
            _join_replicas(mp.start_processes(_torch_worker, args=args, nprocs=spec["replicas"], join=False,
                                              start_method="fork"), timeout)
        except Exception as err:  # ProcessRaisedException / ProcessExitedException carry the replica's traceback
            raise DistributedError(f"a DistributedDataParallel replica failed: {err}") from err
        out = json.loads((Path(folder) / "rank0.json").read_text())
    torch.set_num_threads(1)
    weights, x, y = job(spec["batch_size"], spec["seed"])
    model = torch_model("mlp", weights)
    _torch_step(model, torch.from_numpy(x), torch.from_numpy(y), spec["lr"])
    result = {"reference": _lists(get_weights(model)), "after": out["after"], "examples_per_s": {}}
    if spec["steps"]:
        model = torch_model("mlp", weights)
        result["examples_per_s"]["1"] = _timed(
            lambda: _torch_step(model, torch.from_numpy(x), torch.from_numpy(y), spec["lr"]), spec)
    result["examples_per_s"].update(out["examples_per_s"])
    return result


def _torch_with_retry(spec: dict, timeout: float) -> dict:
    """`_run_torch`, once more when a replica was left waiting for a peer (rare) and stopped at the timeout."""
    try:
        return _run_torch(spec, timeout)
    except DistributedError as err:
        if not isinstance(err.__cause__, TimeoutError):
            raise
        return _run_torch(spec, timeout)


def _join_replicas(context, timeout: float) -> None:
    """Wait for the replicas; past `timeout` seconds stop them all and raise (a replica can be left waiting
    in a gloo collective for a peer that has gone, and torch's own join would then wait forever)."""
    deadline = time.monotonic() + timeout
    while not context.join(timeout=1):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            raise TimeoutError(f"the replicas did not finish within {timeout:g} s (stopped)")


def _torch_worker(rank: int, spec: dict, port: int, folder: str, timeout: float) -> None:
    """One replica: join the group, take its slice of the batch, step with averaged (or summed) gradients."""
    import datetime as dt

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from utils.models import get_weights, torch_model

    torch.set_num_threads(1)
    world, lr = spec["replicas"], spec["lr"]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=dt.timedelta(seconds=timeout))
    try:
        weights, x, y = job(spec["batch_size"], spec["seed"])
        part = slice(rank * len(x) // world, (rank + 1) * len(x) // world)
        xs, ys = torch.from_numpy(x[part]), torch.from_numpy(y[part])
        after = {}
        for reduction in spec["reductions"]:
            ddp = DistributedDataParallel(torch_model("mlp", weights))
            if reduction == "mean":
                _torch_step(ddp, xs, ys, lr)  # DDP all-reduces the gradients during backward and divides by world
            else:
                _torch_step(ddp, xs, ys, lr, backward=lambda loss, m=ddp: _summed_backward(m, loss))
            after[reduction] = _lists(get_weights(ddp.module))
        speed = {}
        if spec["steps"]:
            ddp = DistributedDataParallel(torch_model("mlp", weights))
            speed[str(world)] = _timed(lambda: _torch_step(ddp, xs, ys, lr), spec, dist.barrier)
        if rank == 0:
            path = Path(folder) / "rank0.json"
            path.with_suffix(".tmp").write_text(json.dumps({"after": after, "examples_per_s": speed}))
            path.with_suffix(".tmp").replace(path)
        dist.barrier()  # both replicas finish together: one leaving early aborts gloo in the other (SIGABRT)
    finally:
        dist.destroy_process_group()


def _summed_backward(ddp, loss) -> None:
    """The bug: each replica's gradient all-reduced with SUM and never divided by the world size."""
    import torch.distributed as dist

    with ddp.no_sync():  # no DDP averaging
        loss.backward()
    for p in ddp.parameters():
        dist.all_reduce(p.grad)  # SUM by default


# ---------------------------------------------------------------- TensorFlow and Keras/JAX: child processes
def _run_child(spec: dict, timeout: float) -> dict:
    from utils.processes import child_environment, run_module

    env = {**child_environment(1), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if spec["engine"] == "keras":
        flag = f"--xla_force_host_platform_device_count={spec['replicas']}"
        env.update(KERAS_BACKEND="jax", XLA_FLAGS=f"{flag} {env.get('XLA_FLAGS', '')}".strip())
    # torch's child waits for its replicas `timeout` s, twice at most (`_torch_with_retry`): wait for that
    wait = 2 * timeout + 60 if spec["engine"] == "torch" else timeout
    return run_module("utils.distributed", {**spec, "timeout": timeout}, env, wait,
                      f"the {spec['engine']} data-parallel run", DistributedError)


def _tensorflow(spec: dict) -> dict:
    from utils.processes import muted_stderr

    # TensorFlow imports these when installed (tf.lite, tf.keras); not needed here: skipping them saves ~120 MB
    keep_out("jax", "keras")
    with muted_stderr():
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * spec["replicas"])
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    from utils.models import get_weights, tf_model

    weights, x, y = job(spec["batch_size"], spec["seed"])
    world, lr, size = spec["replicas"], spec["lr"], spec["batch_size"]

    def gradients(model, xs, ys, divide_by):
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(ys, model(xs))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=divide_by)
        return tape.gradient(loss, list(model.w.values()))

    def plain_step(model):
        for v, g in zip(model.w.values(), gradients(model, x, y, size), strict=True):
            v.assign_sub(lr * g)

    reference = tf_model("mlp", weights)
    plain_step(reference)
    strategy = tf.distribute.MirroredStrategy(devices)
    half = size // world
    parts = strategy.experimental_distribute_values_from_function(  # replica r gets the r-th slice
        lambda ctx: tuple(tf.constant(a[ctx.replica_id_in_sync_group * half:][:half]) for a in (x, y)))

    def mirrored_step(model, divide_by):
        per_replica = strategy.run(lambda xs, ys: gradients(model, xs, ys, divide_by), args=parts)
        for v, g in zip(model.w.values(), per_replica, strict=True):  # the all-reduce: sum of scaled gradients
            v.assign_sub(lr * strategy.reduce("SUM", g, axis=None))

    after = {}
    for reduction in spec["reductions"]:
        with strategy.scope():
            model = tf_model("mlp", weights)
        # right: each replica divides by the global batch; the bug: by its own (local) batch
        tf.function(mirrored_step)(model, size if reduction == "mean" else size // world)
        after[reduction] = _lists(get_weights(model))
    speed = {}
    if spec["steps"]:
        single = tf_model("mlp", weights)
        speed["1"] = _timed(tf.function(lambda: plain_step(single)), spec)
        with strategy.scope():
            model = tf_model("mlp", weights)
        step = tf.function(lambda: mirrored_step(model, size))
        speed[str(world)] = _timed(step, spec)
    return {"reference": _lists(get_weights(reference)), "after": after, "examples_per_s": speed}


def _keras_jax(spec: dict) -> dict:
    # Keras imports these when installed (plots, saving, wrappers, display): not needed here; saves ~100 MB
    keep_out("matplotlib", "h5py", "sklearn", "IPython")
    import keras

    from utils.models import get_weights, keras_model

    weights, x, y = job(spec["batch_size"], spec["seed"])
    world = spec["replicas"]
    devices = keras.distribution.list_devices("cpu")
    if len(devices) != world:
        raise RuntimeError(f"JAX sees {len(devices)} CPU devices, expected {world} (XLA_FLAGS not applied?)")

    def model_for(scale=1.0):
        model = keras_model("mlp", weights)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=keras.optimizers.SGD(spec["lr"]), loss=lambda t, p: scale * loss(t, p))
        return model

    single = model_for()  # every model compiles its own XLA program: each is reused for the timing
    single.train_on_batch(x, y)
    reference, speed = get_weights(single), {}
    if spec["steps"]:
        speed["1"] = _timed(lambda: single.train_on_batch(x, y), spec)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    after, trained = {}, {}
    for reduction in spec["reductions"]:
        # XLA shards the batch and inserts the all-reduce of the mean loss's gradient itself; summing
        # the replicas' gradients instead is the same as a loss `world` times larger.
        trained[reduction] = model = model_for(1.0 if reduction == "mean" else float(world))
        model.train_on_batch(x, y)
        after[reduction] = _lists(get_weights(model))
    if spec["steps"]:
        model = trained.get("mean") or model_for()
        speed[str(world)] = _timed(lambda: model.train_on_batch(x, y), spec)
    return {"reference": _lists(reference), "after": after, "examples_per_s": speed}


def _child() -> None:
    """Entry point of the child process: read the spec on stdin, run it, print the result."""
    spec = json.loads(sys.stdin.read())
    saved, sys.stdout = sys.stdout, sys.stderr  # keep the libraries' prints out of the result channel
    try:
        if spec["engine"] == "torch":
            keep_out("tensorflow", "keras", "jax")  # this process forks: it must not run their threads
            result = _torch_with_retry(spec, spec["timeout"])
        else:
            result = (_tensorflow if spec["engine"] == "tensorflow" else _keras_jax)(spec)
    finally:
        sys.stdout = saved
    from utils.processes import print_result

    print_result(result)


if __name__ == "__main__":
    _child()

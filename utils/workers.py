"""What a PyTorch DataLoader worker costs, and when workers pay off, measured in a child process.

Used by notebook 05. The child imports PyTorch and never TensorFlow, Keras or JAX, as a PyTorch training
script would: there the DataLoader's workers can start the way PyTorch starts them by default on Linux, by
forking the process, which is not safe in a kernel that runs TensorFlow's threads (a forked copy of a lock
one of them holds can hang the worker). The child's workers end with each epoch and the child with the
measurement: nothing is left running.

    rows = workers.measure_workers(folder, data_mb=8.5, batch_size=1024)   # `utils.streaming` rows
    print(streaming.table(rows)); print("\\n".join(workers.worker_lines(rows, 1024)))
"""

from __future__ import annotations

import json
import sys

from utils.checks import check_bool, check_int, check_number
from utils.processes import child_environment, keep_out, print_result, run_module, usable_cpus

AUGMENTED = ", augmented"  # the suffix of the rows whose examples go through `shards.augment_example`


class WorkerError(RuntimeError):
    """The child process measuring the DataLoader failed; the message carries what it said."""


def row_name(workers: int, augment: bool) -> str:
    """The name of one measured configuration, e.g. "PyTorch DataLoader, 2 workers, augmented"."""
    return f"PyTorch DataLoader, {workers} worker{'s' if workers != 1 else ''}{AUGMENTED if augment else ''}"


CONFIGS = ((0, False), (1, False), (2, False), (0, True), (2, True))  # (workers, augment) measured by default


def measure_workers(folder, data_mb: float, batch_size: int, configs=CONFIGS, repeats: int = 3,
                    train: bool = True, timeout: float = 300) -> list[dict]:
    """Read the dataset in `folder` with a DataLoader in each configuration (workers, augmented or not).

    Args:
        folder: a dataset written by `utils.shards.write_dataset`; data_mb: its size (for the rows).
        batch_size: examples per batch (must divide the examples per shard).
        configs: (workers, augment) pairs: the worker count (0: the calling process reads), and False
            (batches read as they are) or True (`shards.augment_example` on each example).
        repeats: rounds, every row once per round after one warm-up run (`streaming.sweep`).
        train: also feed each configuration's batches to the series' MLP step (PyTorch, SGD), one row more.
    Returns:
        `utils.streaming` rows (examples/s with its repeats, time to first batch, peak memory added): for each
        configuration `streaming.read_name(row_name(...))` and, with `train`, `streaming.train_name(row_name(
        ...), "PyTorch")`; each row has "usable_cpus" (the cores the workers could run on).
    Raises:
        TypeError/ValueError for bad arguments, WorkerError when the child fails or runs past `timeout` s.
    """
    check_number("data_mb", data_mb, minimum=0, inclusive=False)
    check_int("batch_size", batch_size, minimum=1)
    configs = [(check_int("workers", n, minimum=0), check_bool("augment", a)) for n, a in configs]
    if not configs:
        raise ValueError("configs is empty: give (workers, augment) pairs, e.g. ((0, False), (2, False))")
    check_int("repeats", repeats, minimum=1)
    check_bool("train", train)
    check_number("timeout", timeout, minimum=0, inclusive=False)
    spec = {"folder": str(folder), "data_mb": data_mb, "batch_size": batch_size, "configs": configs,
            "repeats": repeats, "train": train}
    out = run_module("utils.workers", spec, child_environment(1), timeout, "the DataLoader measurement", WorkerError)
    return [{**r, "usable_cpus": out["usable_cpus"]} for r in out["rows"]]


def _seconds_per_batch(row: dict, batch_size: int) -> float:
    return batch_size / row["examples_per_s"]


def worker_lines(rows, batch_size: int) -> list[str]:
    """The worker measurements in words: what one worker adds per batch and to start, and whether 2 workers
    beat 0, plain and augmented, read alone and read + train (judged by `utils.verdicts.compare_repeats`)."""
    from utils.streaming import read_name, train_name
    from utils.streaming_report import compare

    by = {r["pipeline"]: r for r in rows}
    lines = []
    zero, one = by.get(read_name(row_name(0, False))), by.get(read_name(row_name(1, False)))
    if zero and one:
        extra = 1e3 * (_seconds_per_batch(one, batch_size) - _seconds_per_batch(zero, batch_size))
        lines.append(f"One worker, plain batches: {1e3 * _seconds_per_batch(one, batch_size):.2f} ms per batch of "
                     f"{batch_size} examples against {1e3 * _seconds_per_batch(zero, batch_size):.2f} ms with 0 "
                     f"workers ({extra:+.2f} ms per batch, start-up included), first batch after "
                     f"{one['first_batch_s']:.3f} s against {zero['first_batch_s']:.3f} s.")
    for augment in (False, True):
        for what, name in (("read", read_name), ("read + train", lambda p: train_name(p, "PyTorch"))):
            many, none = by.get(name(row_name(2, augment))), by.get(name(row_name(0, augment)))
            said = compare(many, none, ("2 workers", "0 workers")).why if many and none else "not measured"
            kind = "with per-example augmentation" if augment else "plain batches"
            lines.append(f"2 workers vs 0, {kind}, {what}: {said}.")
    lines.append(f"Cores the workers could run on: {rows[0]['usable_cpus'] if rows else 0}.")
    return lines


def _child() -> None:
    """Entry point of the child process: read the spec on stdin, measure, print the rows."""
    spec = json.loads(sys.stdin.read())
    keep_out("tensorflow", "keras", "jax")  # this process forks its workers: it must not run their threads
    import torch

    from utils import models, shards, streaming, training

    torch.set_num_threads(1)
    batch = spec["batch_size"]
    step = training.torch_step(models.torch_model("mlp", models.init_weights("mlp")), "sgd", learning_rate=0.05)

    def loader(workers, augment):
        return lambda folder: shards.torch_loader(folder, batch, workers, augment=augment)

    pipelines = {row_name(n, a): loader(n, a) for n, a in spec["configs"]}
    feeds = {name: ["PyTorch"] for name in pipelines} if spec["train"] else {}
    measures = streaming.measures(pipelines, {"PyTorch": step}, feeds, batch)
    rows = streaming.sweep(measures, [(spec["folder"], spec["data_mb"])], repeats=spec["repeats"])
    print_result({"rows": rows, "usable_cpus": usable_cpus()})


if __name__ == "__main__":
    _child()

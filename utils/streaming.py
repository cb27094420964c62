"""Measure input pipelines (examples/s, time to first batch, peak memory), plot them, judge them.

Used by notebook 05, with `utils.shards` (the data on disk) and `utils.distributed` (data parallel).

    row = measure_pipeline("tf.data", lambda: shards.tf_dataset(folder, 1024), data_mb=34.1)
    print(table(rows)); fig = plot_pipelines(rows)

Peak memory is what the pipeline adds while it runs: the growth of this process's resident memory (RSS)
over its level just before, plus the memory unique to each worker process that the pipeline starts
(USS, unique set size: pages a worker shares with another process, such as the libraries, are not
counted again). Child processes that were already running before (a fork server) are not the
pipeline's and are left out. It is sampled every 10 ms, so a spike shorter than that can be missed.

The verdicts on these measurements are in `utils.streaming_report`.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import threading
import time
import warnings

import numpy as np
import psutil

from utils.checks import check_dict, check_int, check_number, check_str
from utils.processes import release_memory  # noqa: F401  (notebook 05 calls it as streaming.release_memory)
from utils.tables import text_table

FRAMEWORKS = ("Keras", "TensorFlow", "PyTorch")  # the order every comparison shows them in


class PeakMemory(threading.Thread):
    """Samples this process (RSS growth over its starting level) and its new children (USS) until stopped."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True)
        self.process, self.interval, self.peak = psutil.Process(), interval, 0
        self.base, self.done = self.process.memory_info().rss, threading.Event()
        self.before = {c.pid for c in self.process.children(recursive=True)}

    def run(self):
        while not self.done.wait(self.interval):
            self.sample()

    def sample(self):
        try:
            children = sum(c.memory_full_info().uss for c in self.process.children(recursive=True)
                           if c.pid not in self.before)
            own = self.process.memory_info().rss - self.base
        except psutil.Error:  # a worker ended between listing and reading it
            return
        self.peak = max(self.peak, own + children)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.sample()
        self.done.set()
        self.join()


def _check_run(name, data_mb, repeats) -> None:
    check_str("name", name)
    check_number("data_mb", data_mb, minimum=0, inclusive=False)
    check_int("repeats", repeats, minimum=1)


def _row(name, data_mb, runs) -> dict:
    speeds = [r[0] for r in runs]
    return {"pipeline": name, "data_mb": round(data_mb, 1), "examples": runs[0][3],
            "examples_per_s": statistics.median(speeds), "low": min(speeds), "high": max(speeds),
            "first_batch_s": statistics.median(r[1] for r in runs), "peak_mb": max(r[2] for r in runs) / 1e6,
            "samples": speeds, "peaks_mb": [r[2] / 1e6 for r in runs]}


def trained(batches, step):
    """Yield each batch of `batches` after one training step `step(x, y)` on it: measuring this iterable
    (`measure_pipeline`) times training from the pipeline, as `measure_fit` does for Keras."""
    for x, y in batches:
        step(x, y)
        yield x, y


@contextlib.contextmanager
def frozen_heap():
    """Collect garbage once, then freeze what is left (`gc.freeze`) until the block ends: each measurement's own
    `gc.collect()` then scans only what came after, not the libraries' millions of objects (a full collection
    with TensorFlow, Keras and PyTorch loaded takes about 0.3 s)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def read_name(pipeline: str) -> str:
    """The row name of `pipeline` read alone, e.g. "TensorFlow tf.data: read"."""
    return f"{pipeline}: read"


def train_name(pipeline: str, framework: str) -> str:
    """The row name of `pipeline` feeding `framework`'s training step, e.g. "PyTorch DataLoader: read + train,
    Keras"."""
    return f"{pipeline}: read + train, {framework}"


def measures(pipelines: dict, trainers: dict | None = None, feeds: dict | None = None,
             batch_size: int | None = None, keras_inputs: dict | None = None) -> dict:
    """The measures `sweep` takes: every pipeline read alone, then feeding each training step it is paired with.

    Args:
        pipelines: {name: make(folder) -> a new iterable of (x, y) batches}, read alone (`read_name`).
        trainers: {framework: what trains}: for "Keras" a compiled Keras model (`measure_fit`: one epoch of
            `fit` on the pipeline), for the others a step(x, y) (`measure_pipeline` over `trained`).
        feeds: {pipeline: [frameworks whose trainer it feeds]} (`train_name`); none by default.
        batch_size: the examples per batch (needed by Keras `fit`'s count).
        keras_inputs: {pipeline: make(folder) -> what Keras `fit` takes instead of the pipeline's batches},
            e.g. the (x, y) arrays of the in-memory pipeline, which `fit` batches itself in the same order
            (Keras `fit` on a Python generator keeps each generator, and its arrays, alive afterwards).
    """
    check_dict("pipelines", pipelines)
    trainers, feeds, keras_inputs = trainers or {}, feeds or {}, keras_inputs or {}
    missing = sorted({f for fs in feeds.values() for f in fs} - set(trainers)) + sorted(set(feeds) - set(pipelines))
    if missing:
        raise ValueError(f"feeds names {missing}: each must be one of the pipelines and trainers given")

    def read(make):
        return lambda name, folder, mb: measure_pipeline(name, lambda: make(folder), mb)

    def train(make, framework, keras_make):
        if framework == "Keras":
            return lambda name, folder, mb: measure_fit(name, trainers["Keras"], lambda: keras_make(folder), mb,
                                                        batch_size)
        return lambda name, folder, mb: measure_pipeline(name, lambda: trained(make(folder), trainers[framework]), mb)

    out = {}
    for pipeline, make in pipelines.items():
        out[read_name(pipeline)] = read(make)
        out.update({train_name(pipeline, f): train(make, f, keras_inputs.get(pipeline, make))
                    for f in feeds.get(pipeline, ())})
    return out


def sweep(measures: dict, datasets, repeats: int = 3) -> list[dict]:
    """Measure every pipeline at every dataset size, `repeats` rounds, the pipelines interleaved in each round.

    Args:
        measures: {name: measure(name, folder, data_mb) -> one row (`measure_pipeline` or `measure_fit`,
            one repeat)}.
        datasets: (folder, data_mb) pairs, smallest first; each pipeline runs once on the first before the
            rounds (a warm-up, not counted: one-time start-up costs are not the pipeline's).
    Returns:
        One row per pipeline and size, its repeats in "samples" and "peaks_mb", paired by "rounds".
    """
    check_dict("measures", measures)
    datasets = list(datasets)
    check_int("repeats", repeats, minimum=1)
    if not datasets:
        raise ValueError("datasets is empty: give (folder, data_mb) pairs, smallest first")
    runs: dict = {}
    with frozen_heap():
        for name, measure in measures.items():
            measure(name, *datasets[0])  # warm-up
        for _ in range(repeats):
            for name, measure in measures.items():
                for folder, mb in datasets:
                    runs.setdefault((name, mb), []).append(measure(name, folder, mb))
    rows = []
    for (name, mb), got in runs.items():
        row = _row(name, mb, [(r["examples_per_s"], r["first_batch_s"], r["peak_mb"] * 1e6, r["examples"])
                              for r in got])
        rows.append({**row, "rounds": list(range(repeats))})  # round i of every pipeline ran in the same pass
    return rows


def time_rounds(functions: dict, rounds: int = 5, seed: int = 0) -> dict:
    """Call every function once per round, in a new shuffled order each round, and time each call.

    Returns:
        {"seconds": {name: [one per round]}, "rounds": {name: [round of each]}}: paired by round for
        `scenarios.repeats_scenario` (a slow period that hits one round hits every function in it).
    """
    check_dict("functions", functions)
    check_int("rounds", rounds, minimum=1)
    names = list(functions)
    if not names or not all(callable(f) for f in functions.values()):
        raise TypeError("functions must map names to functions of no arguments, e.g. {'Keras': keras_epoch}")
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    seconds: dict = {n: [] for n in names}
    with frozen_heap():
        for _ in range(rounds):
            for i in rng.permutation(len(names)):
                gc.collect()
                start = time.perf_counter()
                functions[names[i]]()
                seconds[names[i]].append(time.perf_counter() - start)
    return {"seconds": seconds, "rounds": {n: list(range(rounds)) for n in names}}


def rounds_table(timed: dict) -> str:
    """`time_rounds`' result as a table: median and range per function, in ms."""
    check_dict("timed", timed)
    return text_table([{"framework": n, "median (ms)": f"{1e3 * statistics.median(s):.1f}",
                        "range (ms)": f"{1e3 * min(s):.1f}-{1e3 * max(s):.1f}", "rounds": str(len(s))}
                       for n, s in timed["seconds"].items()], align={"median (ms)": ">", "range (ms)": ">"})


def measure_pipeline(name: str, make_batches, data_mb: float, repeats: int = 1) -> dict:
    """Iterate once over `make_batches()` (a new iterable of (x, y) batches) per repeat, and measure it.

    Returns:
        A row: pipeline, data_mb, examples, examples_per_s (median, with low/high over the repeats),
        first_batch_s (from creating the iterable to holding the first batch), peak_mb (see the module).
    """
    _check_run(name, data_mb, repeats)
    if not callable(make_batches):
        raise TypeError(f"make_batches must be a function returning an iterable of batches, got {make_batches!r}")
    runs = []
    for _ in range(repeats):
        gc.collect()  # what an earlier measurement left behind is freed before this one's baseline
        with PeakMemory() as memory, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="os.fork")  # JAX's note when a DataLoader forks workers
            start = time.perf_counter()
            examples, first = 0, None
            for x, _y in make_batches():
                first = first or time.perf_counter() - start
                examples += len(x)
            seconds = time.perf_counter() - start
        runs.append((examples / seconds, first, memory.peak, examples))
    return _row(name, data_mb, runs)


def measure_fit(name: str, model, make_data, data_mb: float, batch_size: int, repeats: int = 1) -> dict:
    """`measure_pipeline` for one epoch of Keras `model.fit(make_data(), shuffle=False)`; first batch = first step.

    When `make_data()` gives a tuple (x, y) of arrays, `fit` takes them with `batch_size`."""
    _check_run(name, data_mb, repeats)
    check_int("batch_size", batch_size, minimum=1)
    import keras

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.first = self.first or time.perf_counter() - self.start
            self.batches += 1

    runs = []
    for _ in range(repeats):
        clock = Clock()
        gc.collect()
        with PeakMemory() as memory, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras's notes on shuffle and workers, printed on stderr
            clock.first, clock.batches, clock.start = None, 0, time.perf_counter()
            data = make_data()  # made inside the clock and the memory window, as `measure_pipeline` does
            inputs, size = (data, {"batch_size": batch_size}) if isinstance(data, tuple) else ((data,), {})
            model.fit(*inputs, **size, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
            seconds = time.perf_counter() - clock.start
        examples = clock.batches * batch_size
        runs.append((examples / seconds, clock.first, memory.peak, examples))
    return _row(name, data_mb, runs)


def table(rows) -> str:
    """The measured rows as a text table: examples/s (with range), first batch, peak memory, data size."""
    return text_table([{"pipeline": r["pipeline"], "data (MB)": f"{r['data_mb']:.1f}",
                        "examples/s": f"{r['examples_per_s']:,.0f}",
                        "range": f"{r['low']:,.0f}-{r['high']:,.0f}" if r["low"] != r["high"] else "-",
                        "first batch (s)": f"{r['first_batch_s']:.3f}", "peak memory (MB)": f"{r['peak_mb']:.1f}"}
                       for r in rows], align={"examples/s": ">", "range": ">"})


def plot_pipelines(rows):
    """Throughput and peak memory against dataset size, one line per pipeline."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    from utils import plots

    fig, (left, right) = plots.figure("Pipelines read alone: throughput and memory as the data grows",
                                      xlabel="dataset on disk (MB)", ylabel="examples per second", ncols=2,
                                      figsize=(11, 4))
    right.set_ylabel("peak memory added (MB)")
    for name in dict.fromkeys(r["pipeline"] for r in rows):
        mine = sorted((r for r in rows if r["pipeline"] == name), key=lambda r: r["data_mb"])
        sizes = [r["data_mb"] for r in mine]
        style = {"color": plots.color(name.split()[0]) if name.split()[0] in plots.COLORS else "#555555",
                 "marker": "o", "label": name, "linestyle": "--" if "memory" in name else "-"}
        left.plot(sizes, [r["examples_per_s"] for r in mine], **style)
        right.plot(sizes, [r["peak_mb"] for r in mine], **style)
    sizes = sorted({r["data_mb"] for r in rows})
    left.set_yscale("log")
    left.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    left.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    for ax, title in ((left, "Throughput (log scale)"), (right, "Peak memory added: kernel RSS + new processes' USS")):
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{mb:g}" for mb in sizes])
        ax.minorticks_off()
        ax.set_title(title, fontsize=10)
    right.set_ylim(bottom=0)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- exercise checks (notebook 05)
def slow_pipeline(paths, batch_size: int, record_bytes: int, header_bytes: int, n_features: int):
    """Exercise 1's starting point: one shard after another, one example per read, no prefetch."""
    import tensorflow as tf

    def decode(raw):
        values = tf.io.decode_raw(raw, tf.float32)
        return values[:n_features], tf.cast(values[n_features], tf.int64)

    return (tf.data.Dataset.from_tensor_slices(paths)
            .flat_map(lambda p: tf.data.FixedLengthRecordDataset(p, record_bytes, header_bytes=header_bytes))
            .map(decode).batch(batch_size))


def check_fast_pipeline(name: str, make_pipeline, speedup: float = 2.0):
    """Exercise 1: `make_pipeline` (same arguments as `slow_pipeline`) reads every example once, faster.

    The check writes its own small dataset, reads it with both pipelines, and wants every example exactly
    once and at least `speedup` times the slow pipeline's examples/s (best of 3 runs each).
    """
    check_number("speedup", speedup, minimum=1)
    from utils import exercises, shards

    if make_pipeline is Ellipsis or make_pipeline is None:
        return exercises.report(name, "define make_pipeline (replace the `...`) and run the cell again", "")
    if not callable(make_pipeline):
        return exercises.report(name, f"expected a function, got {type(make_pipeline).__name__}", "")
    code = getattr(make_pipeline, "__code__", None)
    if make_pipeline is slow_pipeline or "tf_dataset" in getattr(code, "co_names", ()):
        return exercises.report(name, "you reused the slow pipeline or called shards.tf_dataset: write your own "
                                 "tf.data pipeline", "")
    with shards.temporary_dataset(8, 4096, seed=5) as folder:
        manifest = shards.validate_shards(folder)
        args = ([str(folder / e["file"]) for e in manifest["shards"]], 512, manifest["record_bytes"],
                manifest["header_bytes"], manifest["n_features"])
        x, _ = shards.load_in_memory(folder)
        try:  # the learner's code: explain, never crash
            got = np.concatenate([np.asarray(b[0]) for b in make_pipeline(*args)])
            once = got.shape == x.shape and sorted(map(bytes, got)) == sorted(map(bytes, x))
            mine = once and max(measure_pipeline("yours", lambda: make_pipeline(*args), 1.0)["examples_per_s"]
                                for _ in range(3))  # timed only once it reads every example once
        except Exception as err:
            return exercises.report(name, f"your pipeline raised {type(err).__name__}: {err}", "")
        slow = once and max(measure_pipeline("slow", lambda: slow_pipeline(*args), 1.0)["examples_per_s"]
                            for _ in range(3))
    if not once:
        reason = f"it must give every example exactly once: got {len(got)} rows for {len(x)} examples"
    elif mine < speedup * slow:
        reason = f"it reads {mine / slow:.1f}x as fast as the slow one; make it at least {speedup:.0f}x"
    else:
        reason = None
    return exercises.report(name, reason, "read many examples per record, then decode the whole batch at once")


EXERCISE_2 = {"batch_size": 8192, "num_workers": 6, "prefetch_factor": 8, "n_features": 64}
EXERCISE_3 = {"replicas": 4, "per_replica_batch": 32}


def check_exercise(name: str, answer):
    """Check exercise 1, 2 or 3 of notebook 05 (chosen by the number `name` starts with)."""
    from utils import exercises

    number = str(name).split(":")[0].strip()
    if number == "1":
        return check_fast_pipeline(name, answer)
    if number == "2":
        e = EXERCISE_2
        megabytes = e["num_workers"] * e["prefetch_factor"] * e["batch_size"] * 4 * (e["n_features"] + 1) / 1e6
        return exercises.check(name, answer, {"megabytes": megabytes, "grows_with_dataset": False}, rtol=0.02,
                               hint="each worker keeps prefetch_factor batches ready; a batch holds batch_size "
                                    "examples of n_features + 1 float32 values (4 bytes each)",
                               second_hint="count the batches held at once first, then the bytes of one batch; "
                                           "a megabyte here is 1e6 bytes")
    if number == "3":
        e = EXERCISE_3
        return exercises.check(name, answer, {"global_batch_size": e["replicas"] * e["per_replica_batch"],
                                              "step_too_large_by": float(e["replicas"])},
                               hint="the all-reduce adds the replicas' gradients; each must be divided by the "
                                    "number of examples of the whole step",
                               second_hint="write the step as the sum over replicas of (the mean gradient of "
                                           "each replica's examples): how does that compare with the mean over "
                                           "all the step's examples?")
    raise ValueError(f"name == {name!r}, must start with the exercise's number: '1: ...', '2: ...' or '3: ...'")

"""Measure input pipelines (examples/s, time to first batch, peak memory), plot them, judge them.

Used by notebook 05, with `utils.shards` (the data on disk) and `utils.distributed` (data parallel).

    row = measure_pipeline("tf.data", lambda: shards.tf_dataset(folder, 1024), data_mb=34.1)
    print(table(rows)); fig = plot_pipelines(rows); print(pipeline_verdict(rows, speeds, dp_results)[0])

Peak memory is what the pipeline adds while it runs: the growth of this process's resident memory (RSS)
over its level just before, plus the memory unique to each worker process that the pipeline starts
(USS, unique set size: pages a worker shares with another process, such as the libraries, are not
counted again). Child processes that were already running before (a fork server) are not the
pipeline's and are left out. It is sampled every 10 ms, so a spike shorter than that can be missed; the
margin of `MARGIN_MB` covers that and the allocator's noise.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import statistics
import threading
import time
import warnings

import numpy as np
import psutil

from utils.checks import check_int, check_number, check_str
from utils.tables import difference, text_table

MARGIN_MB = 30.0  # "flat": the largest dataset's peak memory is at most this much above the smallest's
SPEEDUP = 1.25  # "faster": a median at least this many times higher, with no overlap of the ranges


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
            "first_batch_s": statistics.median(r[1] for r in runs), "peak_mb": max(r[2] for r in runs) / 1e6}


def release_memory() -> None:
    """Give memory back between measurements or sections: stop the DataLoaders' fork server
    (`shards.stop_worker_server`: about 170 MB; the next DataLoader with workers starts a new one),
    collect garbage, and return freed heap pages to the operating system (glibc's malloc_trim, Linux)."""
    from utils.shards import stop_worker_server

    stop_worker_server()
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(None).malloc_trim(0)


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
    """`measure_pipeline` for one epoch of Keras `model.fit(make_data(), shuffle=False)`; first batch = first step."""
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
        data = make_data()
        with PeakMemory() as memory, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras's notes on shuffle and workers, printed on stderr
            clock.first, clock.batches, clock.start = None, 0, time.perf_counter()
            model.fit(data, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
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

    fig, (left, right) = plots.figure("Streaming: throughput and memory as the data grows",
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
    for ax, title in ((left, "Throughput (log scale)"), (right, "Peak memory added: kernel RSS + workers' USS")):
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{mb:g}" for mb in sizes])
        ax.minorticks_off()
        ax.set_title(title, fontsize=10)
    right.set_ylim(bottom=0)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def growth(rows, name: str) -> dict:
    """For one pipeline: data and peak memory at the smallest and largest size, and whether memory is flat."""
    mine = sorted((r for r in rows if r["pipeline"] == name), key=lambda r: r["data_mb"])
    if len(mine) < 2:
        raise ValueError(f"pipeline {name!r} needs rows at two dataset sizes or more, got {len(mine)}")
    small, large = mine[0], mine[-1]
    return {"pipeline": name, "data_mb": (small["data_mb"], large["data_mb"]),
            "peak_mb": (small["peak_mb"], large["peak_mb"]),
            "flat": large["peak_mb"] <= small["peak_mb"] + MARGIN_MB}


def compare(fast: dict, slow: dict) -> str:
    """'N x faster' when `fast` beats `slow` by SPEEDUP with no overlap of ranges; else 'cannot tell'."""
    ratio = fast["examples_per_s"] / slow["examples_per_s"]
    if ratio >= SPEEDUP and fast["low"] > slow["high"]:
        return f"{ratio:.1f}x faster"
    if 1 / ratio >= SPEEDUP and slow["low"] > fast["high"]:
        return f"{1 / ratio:.1f}x slower"
    return f"cannot tell ({ratio:.2f}x, inside the noise)"


def pipeline_verdict(sweep, reads, parallel) -> tuple[str, dict]:
    """The notebook's verdict, built from its measurements: memory growth, what limits a pipeline, data parallel.

    Args:
        sweep: `measure_pipeline` rows of several pipelines at several dataset sizes (one is "NumPy in memory").
        reads: rows at one size, including "TensorFlow tf.data" and "TensorFlow tf.data, per example",
            "PyTorch DataLoader, 0 workers" and "PyTorch DataLoader, 2 workers".
        parallel: `utils.distributed.data_parallel` results, one per engine.
    Returns:
        (text, key results for `utils.results.record`).
    """
    from utils.distributed import equivalent

    grown = [growth(sweep, name) for name in dict.fromkeys(r["pipeline"] for r in sweep)]
    by = {r["pipeline"]: r for r in reads}
    keras_flat = all(g["flat"] for g in grown if g["pipeline"].startswith("Keras"))
    lines = [f"2019 claim: Keras is for small datasets; TensorFlow and PyTorch for large ones. "
             f"('flat' = peak memory at most {MARGIN_MB:.0f} MB above the smallest dataset's)"]
    for g in grown:
        state = "flat" if g["flat"] else "GROWS"
        lines.append(f"- {g['pipeline']}: data {g['data_mb'][0]:.0f} -> {g['data_mb'][1]:.0f} MB, peak memory "
                     f"{g['peak_mb'][0]:.0f} -> {g['peak_mb'][1]:.0f} MB: {state}")
    lines.append(f"Is Keras limited to small data? {'No' if keras_flat else 'Cannot tell'}: streamed from disk, "
                 "its memory does not follow the data's size; it also trained from tf.data and a DataLoader.")
    per_example = compare(by["TensorFlow tf.data"], by["TensorFlow tf.data, per example"])
    workers = compare(by["PyTorch DataLoader, 2 workers"], by["PyTorch DataLoader, 0 workers"])
    lines.append(f"What limits a pipeline? The work per element: whole batches per read vs one example per read: "
                 f"{per_example}. Workers: a DataLoader with 2 workers vs 0: {workers} (workers pay to send "
                 "each batch between processes; they win when each batch costs more to make than to send).")
    for r in parallel:
        speed = r["examples_per_s"]
        ratio = speed[str(r["replicas"])] / speed["1"] if speed else None
        lines.append(f"- {r['name']}: {r['replicas']} replicas == 1 process on the whole batch: "
                     f"{'yes' if equivalent(r) else 'NO'} (largest difference "
                     f"{difference(r['max_difference']['mean'], r['tolerance'])}); throughput x{ratio:.2f} vs 1 "
                     "replica on this CPU" if ratio else "")
    results = {"memory": grown, "reads": reads, "keras_limited_to_small_data": not keras_flat,
               "per_example_vs_batched": per_example, "workers_2_vs_0": workers,
               "data_parallel": [{k: r[k] for k in ("engine", "replicas", "max_difference", "examples_per_s")}
                                 for r in parallel]}
    return "\n".join(line for line in lines if line), results


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


EXERCISE_2 = {"batch_size": 4096, "num_workers": 2, "prefetch_factor": 4, "n_features": 64}
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

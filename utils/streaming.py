"""Measure input pipelines (examples/s, time to first batch, peak memory), plot them, judge them.

Used by notebook 05, with `utils.shards` (the data on disk) and `utils.distributed` (data parallel).

    row = measure_pipeline("tf.data", lambda: shards.tf_dataset(folder, 1024), data_mb=34.1)
    print(table(rows)); fig = plot_pipelines(rows); print(pipeline_verdict(sweep, reads, parallel, small)[0])

Peak memory is what the pipeline adds while it runs: the growth of this process's resident memory (RSS)
over its level just before, plus the memory unique to each worker process that the pipeline starts
(USS, unique set size: pages a worker shares with another process, such as the libraries, are not
counted again). Child processes that were already running before (a fork server) are not the
pipeline's and are left out. It is sampled every 10 ms, so a spike shorter than that can be missed.

Every verdict here comes from `utils.verdicts` (the series' one judge): speeds and peak memory are repeated
measurements, compared by `verdicts.compare_repeats` on the interval of their ratio; "flat" memory means the
peaks at the largest dataset are about the same as at the smallest. This module defines no threshold.
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

from utils import scenarios, verdicts
from utils.checks import check_dict, check_int, check_number, check_str
from utils.tables import difference, text_table

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
    for name, measure in measures.items():
        measure(name, *datasets[0])  # warm-up
    runs: dict = {}
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
    for _ in range(rounds):
        for i in rng.permutation(len(names)):
            gc.collect()
            start = time.perf_counter()
            functions[names[i]]()
            seconds[names[i]].append(time.perf_counter() - start)
    return {"seconds": seconds, "rounds": {n: list(range(rounds)) for n in names}}


def rounds_table(timed: dict, unit: str = "ms") -> str:
    """`time_rounds`' result as a table: median and range per function, in ms."""
    return text_table([{"framework": n, f"median ({unit})": f"{1e3 * statistics.median(s):.1f}",
                        "range": f"{1e3 * min(s):.1f}-{1e3 * max(s):.1f}", "rounds": str(len(s))}
                       for n, s in timed["seconds"].items()], align={f"median ({unit})": ">", "range": ">"})


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


def _framework(pipeline: str) -> str | None:
    return next((f for f in FRAMEWORKS if pipeline.startswith(f)), None)


def growth(rows, name: str) -> dict:
    """For one pipeline: data and peak memory at the smallest and largest size, and the judge's word on them.

    "state" is "flat" when `verdicts.compare_repeats` finds the repeated peaks at the two sizes about the
    same, "grows" when the largest dataset's are higher beyond the margin, "shrinks" when lower, else
    "cannot tell"; "why" is the judge's sentence.
    """
    mine = sorted((r for r in rows if r["pipeline"] == name), key=lambda r: r["data_mb"])
    if len(mine) < 2:
        raise ValueError(f"pipeline {name!r} needs rows at two dataset sizes or more, got {len(mine)}")
    small, large = mine[0], mine[-1]
    peaks = [r.get("peaks_mb", [r["peak_mb"]]) for r in (small, large)]
    out = {"pipeline": name, "data_mb": (small["data_mb"], large["data_mb"]),
           "peak_mb": (small["peak_mb"], large["peak_mb"])}
    if min(min(p) for p in peaks) <= 0:
        return {**out, "state": "cannot tell", "flat": False,
                "why": "a peak of 0 MB was measured: no ratio of peaks to judge"}
    a, b = f"at {small['data_mb']:g} MB", f"at {large['data_mb']:g} MB"
    v = verdicts.compare_repeats(a, peaks[0], b, peaks[1], rounds=(small.get("rounds"), large.get("rounds"))
                                 if small.get("rounds") and large.get("rounds") else None)
    state = {"about the same": "flat", "cannot tell": "cannot tell"}.get(v.word) or (
        "grows" if v.leader == a else "shrinks")
    return {**out, "state": state, "flat": state == "flat", "why": f"peak memory {v.why}"}


def compare(fast: dict, slow: dict) -> verdicts.RepeatVerdict | None:
    """Judge two rows' repeated examples/s with `verdicts.compare_repeats` (higher is better); None when a
    row has no repeats."""
    if not fast.get("samples") or not slow.get("samples"):
        return None
    pair = (fast["rounds"], slow["rounds"]) if fast.get("rounds") and slow.get("rounds") else None
    return verdicts.compare_repeats(fast["pipeline"], fast["samples"], slow["pipeline"], slow["samples"],
                                    rounds=pair, lower_is_better=False)


def _said(v) -> str:
    return v.why if v is not None else "not measured"


def small_scenario(timed: dict | None) -> dict | None:
    """'small datasets': ms per epoch of the same in-memory dataset per framework (`time_rounds`), judged by
    `scenarios.repeats_scenario`; None (not measured) unless all three frameworks were timed."""
    if not timed or any(f not in timed["seconds"] for f in FRAMEWORKS):
        return None
    return scenarios.repeats_scenario({f: [1e3 * s for s in timed["seconds"][f]] for f in FRAMEWORKS},
                                     "ms to train one epoch of the same small in-memory dataset",
                                     rounds={f: timed["rounds"][f] for f in FRAMEWORKS}, unit="ms")


def large_scenario(sweep_rows, grown) -> dict | None:
    """'large datasets': examples/s training from each framework's streamed pipeline at the largest dataset
    (the sweep's repeats, paired by round), with each pipeline's memory word in the evidence; None (not
    measured) unless each of the three frameworks has a streamed pipeline in the sweep."""
    streamed = {_framework(g["pipeline"]): g for g in grown if _framework(g["pipeline"])}
    if any(f not in streamed for f in FRAMEWORKS):
        return None
    largest = max(r["data_mb"] for r in sweep_rows)
    rows = {f: next(r for r in sweep_rows if r["pipeline"] == streamed[f]["pipeline"] and r["data_mb"] == largest)
            for f in FRAMEWORKS}
    memory = ", ".join(f"{f} {streamed[f]['state']}" for f in FRAMEWORKS)
    return scenarios.repeats_scenario(
        {f: rows[f]["samples"] for f in FRAMEWORKS},
        f"examples/s training the MLP from each framework's pipeline streaming {largest:g} MB from disk "
        f"(peak memory from the smallest dataset to the largest: {memory})",
        rounds={f: rows[f]["rounds"] for f in FRAMEWORKS}, lower_is_better=False, unit="examples/s",
        labels={f: rows[f]["pipeline"] for f in FRAMEWORKS})


def _keras_line(grown, reads) -> tuple[str, bool | None]:
    """The answer to "Is Keras limited to small data?" in words from the measurements, and the recorded flag
    (False: its streamed memory measured flat; None: not shown)."""
    keras = [g for g in grown if g["pipeline"].startswith("Keras")]
    also = [r["pipeline"].removeprefix("Keras fit on ") for r in reads
            if r["pipeline"].startswith("Keras fit on") and "PyDataset" not in r["pipeline"]]
    trained_from = f"; it also trained from {' and '.join(also)}" if also else ""
    if not keras:
        return "Is Keras limited to small data? Not measured: no Keras pipeline in the sweep.", None
    sizes = ", ".join(f"{g['pipeline']} {g['peak_mb'][0]:.1f} -> {g['peak_mb'][1]:.1f} MB" for g in keras)
    data = f"the data grew {keras[0]['data_mb'][0]:g} -> {keras[0]['data_mb'][1]:g} MB"
    if all(g["flat"] for g in keras):
        return (f"Is Keras limited to small data? No: streamed from disk, its peak memory stayed about the same "
                f"({sizes}) while {data}{trained_from}.", False)
    states = ", ".join(sorted({g["state"] for g in keras}))
    return (f"Is Keras limited to small data? Not shown by memory: streamed from disk, the judge's word on its "
            f"peak memory is {states} ({sizes}) while {data}{trained_from}.", None)


def _parallel_line(r: dict) -> str:
    speed, replicas = r.get("examples_per_s") or {}, str(r["replicas"])
    if speed.get("1") and speed.get(replicas):
        many, one = (s if isinstance(s, list) else [s] for s in (speed[replicas], speed["1"]))
        said = verdicts.compare_repeats(f"{replicas} replicas", many, "1 replica", one,
                                        lower_is_better=False).why
    else:
        said = "not measured"
    return (f"- {r['name']}: {r['replicas']} replicas == 1 process on the whole batch: "
            f"{'yes' if _equivalent(r) else 'NO'} (largest difference "
            f"{difference(r['max_difference']['mean'], r['tolerance'])}); examples/s on this CPU: {said}")


def _equivalent(r) -> bool:
    from utils.distributed import equivalent

    return equivalent(r)


def pipeline_verdict(sweep_rows, reads, parallel, small: dict | None = None) -> tuple[str, dict]:
    """The notebook's verdict, built from its measurements by `utils.verdicts`: memory growth, what limits a
    pipeline, data parallel, and the two scenarios notebook 07 reads.

    Args:
        sweep_rows: `sweep` rows of several pipelines at several dataset sizes (one is "NumPy in memory");
            a streamed pipeline whose name starts with "Keras", "TensorFlow" or "PyTorch" is that framework's.
        reads: rows at one size, among them "TensorFlow tf.data" and "TensorFlow tf.data, per example",
            "PyTorch DataLoader, 0 workers" and "PyTorch DataLoader, 2 workers" (a missing one: not measured).
        parallel: `utils.distributed.data_parallel` results, one per engine.
        small: `time_rounds` of one epoch of the same in-memory dataset per framework (None: not measured).
    Returns:
        (text, key results for `utils.results.record`, with "verdicts": {"small datasets", "large datasets"}
        where measured).
    """
    grown = [growth(sweep_rows, name) for name in dict.fromkeys(r["pipeline"] for r in sweep_rows)]
    by = {r["pipeline"]: r for r in reads}
    judged_scenarios = {"small datasets": small_scenario(small), "large datasets": large_scenario(sweep_rows, grown)}
    lines = ["2019 claim: Keras is for small datasets; TensorFlow and PyTorch for large ones."]
    for g in grown:
        lines.append(f"- {g['pipeline']}: data {g['data_mb'][0]:g} -> {g['data_mb'][1]:g} MB, peak memory "
                     f"{g['peak_mb'][0]:.1f} -> {g['peak_mb'][1]:.1f} MB: {g['state']} ({g['why']})")
    keras_line, keras_flat = _keras_line(grown, reads)
    lines.append(keras_line)

    def judged(a, b):
        return compare(by[a], by[b]) if a in by and b in by else None

    per_example = judged("TensorFlow tf.data", "TensorFlow tf.data, per example")
    workers = judged("PyTorch DataLoader, 2 workers", "PyTorch DataLoader, 0 workers")
    lines.append(f"What limits a pipeline? Whole batches per read vs one example per read: {_said(per_example)}. "
                 f"A DataLoader with 2 workers vs 0: {_said(workers)}.")
    lines += [_parallel_line(r) for r in parallel]
    lines += [scenarios.scenario_line(scenario, v) for scenario, v in judged_scenarios.items()]
    results = {"memory": grown, "reads": reads, "keras_limited_to_small_data": None if keras_flat is None else False,
               "per_example_vs_batched": _said(per_example), "workers_2_vs_0": _said(workers),
               "data_parallel": [{k: r.get(k) for k in ("engine", "replicas", "max_difference", "examples_per_s")}
                                 for r in parallel],
               "verdicts": {k: v for k, v in judged_scenarios.items() if v is not None}}
    return "\n".join(lines), results


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
